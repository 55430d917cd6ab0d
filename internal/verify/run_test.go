package verify

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// A run that stops before its history is checked (say, the cluster did not
// start) still gets its table printed, not a nil map dereference.
func TestWriteTableOfARunStoppedEarly(t *testing.T) {
	var buf bytes.Buffer
	WriteTable(&buf, Summary{Dir: "/tmp/samsa-verify-x", DirKept: true})
	if !strings.Contains(buf.String(), "/tmp/samsa-verify-x") {
		t.Fatalf("table %q: want the kept directory", buf.String())
	}
}

func TestWriteTableListsEveryClassAndExamples(t *testing.T) {
	r := Check(join(send(1, 0, 0, "a")), 5)
	var buf bytes.Buffer
	WriteTable(&buf, Summary{Report: r, Faults: map[string]int{FaultKill: 2, FaultPause: 1}, History: "h.jsonl"})
	out := buf.String()
	for _, want := range append(slices.Clone(AnomalyClasses), "faults injected        3 (kill 2, pause 1)", "unseen                 1", `unseen: send "a"`, "history") {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestParseFaults(t *testing.T) {
	for in, want := range map[string][]string{"": nil, "none": nil, "kill": {FaultKill}, "pause, kill,pause": {FaultPause, FaultKill}} {
		got, err := ParseFaults(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseFaults(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseFaults("kill,flood"); err == nil || !strings.Contains(err.Error(), "flood") {
		t.Errorf("ParseFaults(kill,flood): %v, want an error naming flood", err)
	}
}
