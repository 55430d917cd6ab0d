package cli

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/pkg/embed"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReassignPartitionsFlags(t *testing.T) {
	f := writeFile(t, `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]}]}`)
	cases := []struct {
		args []string
		want string
	}{
		{nil, "exactly one action"},
		{[]string{"--execute", "--verify", "--reassignment-json-file", f}, "exactly one action"},
		{[]string{"--generate", "--topics-to-move-json-file", f}, "--generate needs"},
		{[]string{"--execute"}, "--reassignment-json-file"},
		{[]string{"--verify", "--reassignment-json-file", f, "--broker-list", "1"}, "only valid with --generate"},
		{[]string{"--verify", "--reassignment-json-file", f, "--additional"}, "--additional"},
		{[]string{"--execute", "--reassignment-json-file", f, "--throttle", "1000"}, "not supported"},
		{[]string{"--list", "--zookeeper", "zk:2181"}, "--zookeeper is not supported"},
	}
	for _, tc := range cases {
		args := append([]string{"reassign-partitions", "--bootstrap-server", "127.0.0.1:1"}, tc.args...)
		r := execute(t, "", args...)
		if r.e == nil || !strings.Contains(r.e.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, r.e, tc.want)
		}
	}
}

func TestParseReassignmentJSON(t *testing.T) {
	moves, err := parseReassignment([]byte(`{"version":1,"partitions":[
		{"topic":"b","partition":1,"replicas":[3,1],"log_dirs":["any","any"]},
		{"topic":"a","partition":0,"replicas":[1,2]}]}`))
	if err != nil || len(moves) != 2 || moves[0].name() != "b-1" || !slices.Equal(moves[1].Replicas, []int32{1, 2}) {
		t.Fatalf("parsed %+v %v", moves, err)
	}
	bad := map[string]string{
		`{"version":1,"partitions":[]}`:                                                                          "cannot be empty",
		`{"version":2,"partitions":[{"topic":"a","partition":0,"replicas":[1]}]}`:                                "version",
		`{"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}`: "duplicate reassignment partitions: a-0",
		`{"partitions":[{"topic":"a","partition":0,"replicas":[]}]}`:                                             "replica list cannot be empty",
		`{"partitions":[{"topic":"a","partition":0,"replicas":[1,1]}]}`:                                          "duplicate replica",
		`{"partitions":[{"topic":"a","partition":0,"replicas":[1],"log_dirs":["/d"]}]}`:                          "log directories",
		`{"partitions":[{"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}`:                       "size of replicas list",
		`{"partitions":[{"topic":"","partition":0,"replicas":[1]}]}`:                                             "invalid partition entry",
		`not json`: "parse reassignment JSON",
	}
	for in, want := range bad {
		if _, err := parseReassignment([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	topics, err := parseTopicsToMove([]byte(`{"topics":[{"topic":"x"},{"topic":"y"},{"topic":"x"}],"version":1}`))
	if err != nil || !slices.Equal(topics, []string{"x", "y"}) {
		t.Fatalf("topics %v %v", topics, err)
	}
	if _, err := parseTopicsToMove([]byte(`{"topics":[],"version":1}`)); err == nil {
		t.Fatal("empty topics-to-move accepted")
	}
	if _, err := parseBrokerList("1,x"); err == nil {
		t.Fatal("bad broker list accepted")
	}
}

func TestFormatReassignment(t *testing.T) {
	got := formatReassignment([]partitionMove{{Topic: "b", Partition: 0, Replicas: []int32{2}},
		{Topic: "a", Partition: 1, Replicas: []int32{1, 2}}, {Topic: "a", Partition: 0, Replicas: []int32{2, 1}}})
	want := `{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[2,1],"log_dirs":["any","any"]},` +
		`{"topic":"a","partition":1,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"b","partition":0,"replicas":[2],"log_dirs":["any"]}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestProposeAssignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lists, err := proposeAssignment(rng, []int32{4, 2, 3}, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	leaders := map[int32]int{}
	for p, l := range lists {
		if len(l) != 2 || l[0] == l[1] {
			t.Fatalf("partition %d: %v", p, l)
		}
		for _, b := range l {
			if !slices.Contains([]int32{2, 3, 4}, b) {
				t.Fatalf("partition %d on broker %d outside the list", p, b)
			}
		}
		leaders[l[0]]++
	}
	if leaders[2] != 2 || leaders[3] != 2 || leaders[4] != 2 {
		t.Fatalf("leaders not spread: %v", leaders)
	}
	if _, err := proposeAssignment(rng, []int32{1, 2}, 1, 3); err == nil || !strings.Contains(err.Error(), "larger than available brokers: 2") {
		t.Fatalf("rf 3 on 2 brokers: %v", err)
	}
}

// The whole tool against a real single-node Samsa: --generate, --execute,
// --verify, --list and --cancel.
func TestReassignPartitionsAgainstSamsa(t *testing.T) {
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
	run := func(args ...string) string {
		return mustRun(t, "", append([]string{"reassign-partitions", "--bootstrap-server", b.Addr()}, args...)...).out
	}
	topics := writeFile(t, `{"topics":[{"topic":"t"}],"version":1}`)
	out := run("--generate", "--topics-to-move-json-file", topics, "--broker-list", "1")
	lines := strings.Split(out, "\n")
	if len(lines) != 6 || lines[0] != "Current partition replica assignment" || lines[3] != "Proposed partition reassignment configuration" {
		t.Fatalf("--generate printed:\n%s", out)
	}
	wantJSON := `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any"]},{"topic":"t","partition":1,"replicas":[1],"log_dirs":["any"]}]}`
	if lines[1] != wantJSON || lines[4] != wantJSON {
		t.Fatalf("--generate JSON:\n%s", out)
	}
	var plan reassignmentFile
	if err := json.Unmarshal([]byte(lines[4]), &plan); err != nil || len(plan.Partitions) != 2 {
		t.Fatalf("proposal does not parse: %v", err)
	}
	r := execute(t, "", "reassign-partitions", "--bootstrap-server", b.Addr(), "--generate",
		"--topics-to-move-json-file", topics, "--broker-list", "1,7")
	if r.e == nil || !strings.Contains(r.e.Error(), "not registered: 7") {
		t.Fatalf("unknown broker: %v", r.e)
	}

	file := writeFile(t, lines[4])
	out = run("--execute", "--reassignment-json-file", file)
	want := "Current partition replica assignment\n\n" + wantJSON +
		"\n\nSave this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignments for t-0,t-1\n"
	if out != want {
		t.Fatalf("--execute printed:\n%s\nwant:\n%s", out, want)
	}
	if out = run("--verify", "--reassignment-json-file", file); out != "Status of partition reassignment:\n"+
		"Reassignment of partition t-0 is completed.\nReassignment of partition t-1 is completed.\n" {
		t.Fatalf("--verify printed:\n%s", out)
	}
	if out = run("--list"); out != "No partition reassignments found.\n" {
		t.Fatalf("--list printed %q", out)
	}
	if out = run("--cancel", "--reassignment-json-file", file); out != "None of the specified partition reassignments are active.\n" {
		t.Fatalf("--cancel printed %q", out)
	}
	other := writeFile(t, `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2]}]}`)
	if out = run("--verify", "--reassignment-json-file", other); !strings.Contains(out,
		"There is no active reassignment of partition t-0, but replica set is [1] rather than [2].") {
		t.Fatalf("--verify of another target printed:\n%s", out)
	}
	r = execute(t, "", "reassign-partitions", "--bootstrap-server", b.Addr(), "--execute", "--reassignment-json-file", other)
	if r.e == nil || !strings.Contains(r.e.Error(), "t-0: INVALID_REPLICA_ASSIGNMENT") {
		t.Fatalf("reassign to an unknown broker: %v", r.e)
	}
	missing := writeFile(t, `{"version":1,"partitions":[{"topic":"t","partition":5,"replicas":[1]}]}`)
	r = execute(t, "", "reassign-partitions", "--bootstrap-server", b.Addr(), "--execute", "--reassignment-json-file", missing)
	if r.e == nil || !strings.Contains(r.e.Error(), "unable to find partition: t-5") {
		t.Fatalf("unknown partition: %v", r.e)
	}
}
