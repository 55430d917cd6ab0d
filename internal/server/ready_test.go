package server

import "testing"

// fencingFlag is a broker life cycle's fencing as the controller last
// answered it.
type fencingFlag bool

func (f *fencingFlag) Fenced() bool { return bool(*f) }

// /readyz follows the controller's fencing: a started broker that the
// controller fenced (lost session, re-registration) is not ready.
func TestServingFollowsFencing(t *testing.T) {
	s := &Server{}
	if s.serving() {
		t.Fatal("ready before start")
	}
	s.ready.Store(true)
	if !s.serving() {
		t.Fatal("a started single node is not ready")
	}
	fenced := fencingFlag(true)
	s.fencing = &fenced
	if s.serving() {
		t.Fatal("a fenced broker reports ready")
	}
	fenced = false
	if !s.serving() {
		t.Fatal("an unfenced broker is not ready")
	}
}
