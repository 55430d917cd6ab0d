package controller

import (
	"testing"
	"time"
)

// A broker's heartbeats give its metadata progress for DescribeQuorum: the
// last reported offset and time, and the last time it had reached the
// offset the leader had applied. A new term forgets them all.
func TestLivenessMetadataProgress(t *testing.T) {
	var l liveness
	t0 := time.UnixMilli(1_700_000_000_000)
	if _, ok := l.progressOf(3, 2); ok {
		t.Fatal("progress of a broker never heard from")
	}
	l.reported(3, 2, 10, 10, t0)
	l.reported(3, 2, 12, 15, t0.Add(time.Second)) // behind the leader
	p, ok := l.progressOf(3, 2)
	want := MetadataProgress{Offset: 12, At: t0.Add(time.Second), CaughtUp: t0}
	if !ok || p != want {
		t.Fatalf("progress %+v, %v; want %+v", p, ok, want)
	}
	if _, ok := l.progressOf(4, 2); ok {
		t.Fatal("progress kept into a new term")
	}
	l.reported(4, 2, 20, 25, t0)
	if p, _ := l.progressOf(4, 2); !p.CaughtUp.IsZero() {
		t.Fatalf("caught up %v without reaching the leader's offset", p.CaughtUp)
	}
}
