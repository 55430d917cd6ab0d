package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestFormatOffsetsPadsLikeKafka(t *testing.T) {
	rows := []offsetRow{
		{"g", "orders", "0", "4", "5", "1", "member-1-0123456789abcdef", "/127.0.0.1", "member-1"},
		{"g", "a-much-longer-topic-name", "1", "-", "3", "-", "-", "-", "-"},
	}
	got := formatOffsets(rows)
	want := "\n" +
		"GROUP           TOPIC                    PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID               HOST            CLIENT-ID\n" +
		"g               orders                   0          4               5               1               member-1-0123456789abcdef /127.0.0.1      member-1\n" +
		"g               a-much-longer-topic-name 1          -               3               -               -                         -               -\n"
	if got != want {
		t.Fatalf("got:\n%q\nwant:\n%q", got, want)
	}
	// Every column starts at the same place on every line.
	lines := strings.Split(strings.TrimSpace(got), "\n")
	for _, col := range []string{"PARTITION", "CONSUMER-ID", "CLIENT-ID"} {
		at := strings.Index(lines[0], col)
		for _, l := range lines[1:] {
			if l[at-1] != ' ' || l[at] == ' ' {
				t.Fatalf("column %s not aligned in %q", col, l)
			}
		}
	}
}

func TestFormatMembers(t *testing.T) {
	rows := []memberRow{{group: "g", consumerID: "c1", host: "/10.0.0.1", clientID: "cl", partitions: 2,
		currentEpoch: "-", assignment: "t:0,1", targetEpoch: "-", targetAssignment: "-"}}
	want := "\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n" +
		"g               c1              /10.0.0.1       cl              2               \n"
	if got := formatMembers(rows, false); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	got := formatMembers(rows, true)
	if !strings.Contains(got, "#PARTITIONS     CURRENT-EPOCH   CURRENT-ASSIGNMENT   TARGET-EPOCH    TARGET-ASSIGNMENT   \n") ||
		!strings.Contains(got, "2               -               t:0,1                -               -                   \n") {
		t.Fatalf("verbose got %q", got)
	}
	rows[0].instanceID = "static-1"
	if got := formatMembers(rows, false); !strings.Contains(got, "CONSUMER-ID     GROUP-INSTANCE-ID HOST") ||
		!strings.Contains(got, "c1              static-1          /10.0.0.1") {
		t.Fatalf("with instance id got %q", got)
	}
}

func TestFormatStateResetListAndDeleteOffsets(t *testing.T) {
	st := formatState(stateRow{group: "g", coordinator: "localhost:9092  (1)", strategy: "range", state: "Stable", members: 2}, false)
	want := "\nGROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS" +
		"\ng               localhost:9092  (1)       range                Stable               2\n"
	if st != want {
		t.Fatalf("state got %q\nwant %q", st, want)
	}
	plan := formatResetPlan([]string{"g"}, []resetRow{{"g", "t", 1, 7}, {"g", "t", 0, 3}})
	want = "\nGROUP           TOPIC           PARTITION  NEW-OFFSET\ng               t               0          3\ng               t               1          7\n"
	if plan != want {
		t.Fatalf("reset plan got %q\nwant %q", plan, want)
	}
	if got := formatResetPlan(nil, nil); got != "\n" {
		t.Fatalf("empty plan %q", got)
	}
	list := formatGroupList([]kadm.ListedGroup{{Group: "g", State: "Stable"}})
	if list != "GROUP                     STATE               \ng                         Stable              \n" {
		t.Fatalf("list got %q", list)
	}
	del := formatDeleteOffsets([]deleteOffsetRow{{"t", 1, nil}, {"nope", -1, kerr.UnknownTopicOrPartition}})
	want = "\nTOPIC           PARTITION  STATUS         " +
		"\nnope            -          Error: " + kerr.UnknownTopicOrPartition.Error() +
		"\nt               1          Successful     \n"
	if del != want {
		t.Fatalf("delete offsets got %q\nwant %q", del, want)
	}
}

func TestAssignmentString(t *testing.T) {
	s := kadm.TopicsSet{}
	if got := assignmentString(s); got != "-" {
		t.Fatalf("empty: %q", got)
	}
	s.Add("b", 2, 0)
	s.Add("a", 1)
	if got := assignmentString(s); got != "a:1;b:0,2" {
		t.Fatalf("got %q", got)
	}
}

func TestParseResetDatetime(t *testing.T) {
	utc := time.Date(2024, 3, 5, 10, 20, 30, 123e6, time.UTC).UnixMilli()
	for in, want := range map[string]int64{
		"2024-03-05T10:20:30.123":       utc,
		"2024-03-05T10:20:30.123Z":      utc,
		"2024-03-05T11:20:30.123+01:00": utc,
		"2024-03-05T11:20:30.123+0100":  utc,
		"2024-03-05T09:20:30.123-01":    utc,
		"2024-03-05T10:20:30":           utc - 123,
	} {
		got, err := parseResetDatetime(in)
		if err != nil || got != want {
			t.Errorf("%s: got %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"2024-03-05", "2024-03-05 10:20:30", "2024-13-05T10:20:30.000", "yesterday"} {
		if _, err := parseResetDatetime(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestParseISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT30M":       30 * time.Minute,
		"P1DT2H":      26 * time.Hour,
		"p2d":         48 * time.Hour,
		"PT1.5S":      1500 * time.Millisecond,
		"PT-6H3M":     -6*time.Hour + 3*time.Minute,
		"-PT1H":       -time.Hour,
		"P0DT0H0M10S": 10 * time.Second,
	} {
		got, err := parseISODuration(in)
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "P1DT", "1h", "PT1H30", "P1H"} {
		if _, err := parseISODuration(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestConsumerGroupsFlagChecks(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "exactly one action"},
		{[]string{"--list", "--describe"}, "exactly one action"},
		{[]string{"--describe"}, "--group G (repeatable) or --all-groups"},
		{[]string{"--describe", "--group", "g", "--all-groups"}, "--group G (repeatable) or --all-groups"},
		{[]string{"--describe", "--group", "g", "--members", "--state"}, "at most one of"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t"}, "takes exactly one of --to-earliest"},
		{[]string{"--reset-offsets", "--group", "g", "--to-earliest", "--to-latest", "--topic", "t"}, "takes exactly one of"},
		{[]string{"--reset-offsets", "--group", "g", "--to-earliest"}, "reset scopes"},
		{[]string{"--reset-offsets", "--group", "g", "--to-earliest", "--all-topics", "--execute", "--dry-run"}, "--execute, --dry-run"},
		{[]string{"--delete-offsets", "--group", "g"}, "one --group and at least one --topic"},
		{[]string{"--list", "--to-earliest"}, "only valid with --reset-offsets"},
		{[]string{"--describe", "--group", "g", "--topic", "t"}, "only valid with --reset-offsets or --delete-offsets"},
		{[]string{"--list", "--state=Bogus"}, "invalid state list 'Bogus'"},
		{[]string{"--list", "stray"}, "unexpected argument"},
	} {
		args := append([]string{"consumer-groups", "--bootstrap-server", "127.0.0.1:1"}, c.args...)
		r := execute(t, "", args...)
		if r.e == nil || !strings.Contains(r.e.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, r.e, c.want)
		}
	}
}

func TestConsumerGroupsMultiCallName(t *testing.T) {
	args, err := ResolveArgs([]string{"/usr/bin/kafka-consumer-groups.sh", "--list"})
	if err != nil || strings.Join(args, " ") != "consumer-groups --list" {
		t.Fatalf("got %v, %v", args, err)
	}
}
