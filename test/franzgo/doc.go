// Package franzgo runs franz-go's own integration suite (the tests of
// github.com/twmb/franz-go/pkg/kgo, at the version go.mod pins) against a
// real samsa node: the client's authors' view of what a Kafka broker must
// do, groups (classic and KIP-848, regular expressions included),
// transactions, idempotence, every codec and the admin calls, run unchanged.
package franzgo
