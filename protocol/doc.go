// Package protocol is Samsa's view of the Kafka wire format: size-prefixed
// frames, request headers v0–v2, the table of API versions a broker
// advertises, and the version gate that rejects a request before its body is
// decoded. Bodies are decoded and encoded by github.com/twmb/franz-go/pkg/kmsg,
// which is generated from Kafka's own message definitions; this package never
// hand-writes a codec.
//
// Nothing here imports other Samsa packages.
package protocol
