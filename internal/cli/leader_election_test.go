package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/pkg/embed"
)

func TestLeaderElectionFlags(t *testing.T) {
	f := writeFile(t, `{"partitions":[{"topic":"t","partition":0}]}`)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--all-topic-partitions"}, "--election-type"},
		{[]string{"--election-type", "fastest", "--all-topic-partitions"}, "PREFERRED or UNCLEAN"},
		{[]string{"--election-type", "preferred"}, "one and only one"},
		{[]string{"--election-type", "PREFERRED", "--all-topic-partitions", "--path-to-json-file", f}, "one and only one"},
		{[]string{"--election-type", "PREFERRED", "--topic", "t"}, "--partition"},
		{[]string{"--election-type", "PREFERRED", "--all-topic-partitions", "--partition", "1"}, "only valid with --topic"},
	}
	for _, tc := range cases {
		r := execute(t, "", append([]string{"leader-election", "--bootstrap-server", "127.0.0.1:1"}, tc.args...)...)
		if r.e == nil || !strings.Contains(r.e.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, r.e, tc.want)
		}
	}
}

func TestParseElectionPartitions(t *testing.T) {
	set, err := parseElectionPartitions([]byte(`{"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":2},{"topic":"b","partition":1}]}`))
	if err != nil || len(set["a"]) != 2 || len(set["b"]) != 1 {
		t.Fatalf("parsed %v %v", set, err)
	}
	for in, want := range map[string]string{
		`{"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":0}]}`: "duplicate partitions: a-0",
		`{"partitions":[{"topic":"a"}]}`:                                           "needs a topic and a partition",
		`{"partitions":[]}`:                                                        "no partitions",
		`[`:                                                                        "parse",
	} {
		if _, err := parseElectionPartitions([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestPrintElection(t *testing.T) {
	res := kadm.ElectLeadersResults{
		"a": {1: {Topic: "a", Partition: 1}, 0: {Topic: "a", Partition: 0}},
		"b": {0: {Topic: "b", Partition: 0, Err: kerr.ElectionNotNeeded},
			3: {Topic: "b", Partition: 3, Err: kerr.PreferredLeaderNotAvailable, ErrMessage: "not in sync"}},
	}
	var out bytes.Buffer
	err := printElection(&out, "PREFERRED", res)
	want := "Successfully completed leader election (PREFERRED) for partitions a-0, a-1\n" +
		"Valid replica already elected for partitions b-0\n" +
		"Error completing leader election (PREFERRED) for partition: b-3: PREFERRED_LEADER_NOT_AVAILABLE: not in sync\n"
	if out.String() != want || err == nil || err.Error() != "1 replica(s) could not be elected" {
		t.Fatalf("printed:\n%s\nerr %v", out.String(), err)
	}
}

func TestLeaderElectionAgainstSamsa(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := embed.Start(ctx, embed.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 2, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	base := []string{"leader-election", "--bootstrap-server", b.Addr(), "--election-type"}
	r := mustRun(t, "", append(base, "PREFERRED", "--topic", "t", "--partition", "0")...)
	if r.out != "Valid replica already elected for partitions t-0\n" {
		t.Fatalf("printed %q", r.out)
	}
	if r = mustRun(t, "", append(base, "PREFERRED", "--all-topic-partitions")...); r.out != "" {
		t.Fatalf("all partitions printed %q", r.out)
	}
	f := writeFile(t, `{"partitions":[{"topic":"t","partition":1},{"topic":"t","partition":9}]}`)
	r = execute(t, "", append(base, "unclean", "--path-to-json-file", f)...)
	if r.e == nil || r.out != "Valid replica already elected for partitions t-1\n"+
		"Error completing leader election (UNCLEAN) for partition: t-9: UNKNOWN_TOPIC_OR_PARTITION: Unable to find partition t-9.\n" {
		t.Fatalf("printed %q, err %v", r.out, r.e)
	}
}
