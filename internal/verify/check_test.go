package verify

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func send(proc int, p int32, off int64, v string) []Op {
	return []Op{
		{Process: proc, Type: TypeInvoke, F: FuncSend, Partition: p, Offset: -1, Value: v},
		{Process: proc, Type: TypeOK, F: FuncSend, Partition: p, Offset: off, Value: v},
	}
}

func poll(proc int, p int32, off int64, v string) Op {
	return Op{Process: proc, Type: TypeOK, F: FuncPoll, Partition: p, Offset: off, Value: v}
}

func finalRead(p int32, off int64, v string) Op {
	return Op{Type: TypeOK, F: FuncPoll, Partition: p, Offset: off, Value: v, Final: true}
}

func reachOp(p int32, end int64) Op {
	return Op{Type: TypeOK, F: FuncReach, Partition: p, Offset: end, Final: true}
}

func join(parts ...[]Op) []Op {
	var out []Op
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// cleanHistory has two producers, one consumer and a final poll, and no
// anomaly; each test case below adds exactly one.
func cleanHistory(extra ...Op) []Op {
	return join(
		send(1, 0, 0, "a"), send(1, 0, 1, "b"), send(2, 1, 0, "c"),
		[]Op{poll(10, 0, 0, "a"), poll(10, 0, 1, "b"), poll(10, 1, 0, "c")},
		extra,
		[]Op{finalRead(0, 0, "a"), finalRead(0, 1, "b"), finalRead(1, 0, "c"), reachOp(0, 2), reachOp(1, 1)},
	)
}

func TestCheckCleanHistory(t *testing.T) {
	r := Check(cleanHistory(), 5)
	if !r.Valid() {
		t.Fatalf("clean history reported anomalies: %+v", anomalyCounts(r))
	}
	if r.SendsOK != 3 || r.Polls != 6 || r.FinalPollPartitions != 2 {
		t.Fatalf("counts: sends ok %d, polls %d, final partitions %d; want 3, 6, 2", r.SendsOK, r.Polls, r.FinalPollPartitions)
	}
}

func TestCheckFindsEachAnomalyClass(t *testing.T) {
	cases := []struct {
		class   string
		history []Op
	}{
		{AnomalyLost, join(
			send(1, 0, 0, "a"), send(1, 0, 1, "b"), send(1, 0, 2, "d"),
			[]Op{finalRead(0, 0, "a"), finalRead(0, 1, "b"), finalRead(0, 3, "e"), reachOp(0, 4)},
		)},
		{AnomalyDuplicate, cleanHistory(poll(10, 0, 2, "a"))},
		{AnomalyInconsistentOffset, cleanHistory(poll(11, 0, 1, "x"))},
		{AnomalyNonMonotonicPoll, cleanHistory(poll(10, 0, 0, "a"))},
		{AnomalyNonMonotonicSend, join(
			send(1, 0, 1, "b"), send(1, 0, 0, "a"),
			[]Op{finalRead(0, 0, "a"), finalRead(0, 1, "b"), reachOp(0, 2)},
		)},
		{AnomalyUnseen, cleanHistory(send(2, 1, 1, "f")...)},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			r := Check(tc.history, 5)
			for _, c := range AnomalyClasses {
				want := 0
				if c == tc.class {
					want = 1
				}
				if got := r.Anomalies[c].Count; got != want {
					t.Errorf("%s: count %d, want %d (all: %v)", c, got, want, anomalyCounts(r))
				}
			}
			if ex := r.Anomalies[tc.class].Examples; len(ex) != 1 || ex[0] == "" {
				t.Errorf("%s: examples %q, want one", tc.class, ex)
			}
		})
	}
}

func TestCheckKeepsAtMostMaxExamples(t *testing.T) {
	var ops []Op
	for i := range 10 {
		ops = append(ops, send(1, 0, int64(i), "v"+string(rune('a'+i)))...)
	}
	r := Check(ops, 3)
	a := r.Anomalies[AnomalyUnseen]
	if a.Count != 10 || len(a.Examples) != 3 {
		t.Fatalf("unseen: count %d with %d examples, want 10 with 3", a.Count, len(a.Examples))
	}
}

func anomalyCounts(r Report) map[string]int {
	m := map[string]int{}
	for c, a := range r.Anomalies {
		m[c] = a.Count
	}
	return m
}

func TestHistoryRoundTripFromManyGoroutines(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewHistoryWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				w.Record(poll(g, 0, int64(i), "v"))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(buf.String(), "\n"); first != `{"format":"samsa-verify-history","version":1}` {
		t.Fatalf("header line %q", first)
	}
	ops, err := ReadHistory(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 4000 {
		t.Fatalf("read %d operations, want 4000", len(ops))
	}
	if r := Check(ops, 3); r.Anomalies[AnomalyNonMonotonicPoll].Count != 0 || r.Polls != 4000 {
		t.Fatalf("per-goroutine order not kept: %v, polls %d", anomalyCounts(r), r.Polls)
	}
}

func TestReadHistoryRefusesBadInput(t *testing.T) {
	cases := map[string]string{
		"empty":         "",
		"no header":     `{"process":1,"type":"ok","f":"poll"}` + "\n",
		"newer version": `{"format":"samsa-verify-history","version":2}` + "\n",
		"bad line":      `{"format":"samsa-verify-history","version":1}` + "\n{not json\n",
	}
	for name, in := range cases {
		if _, err := ReadHistory(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
