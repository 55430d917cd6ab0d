package server

import "testing"

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
	s.cluster = &cluster{s: s, fenced: true}
	if s.serving() {
		t.Fatal("a fenced broker reports ready")
	}
	s.cluster.fenced = false
	if !s.serving() {
		t.Fatal("an unfenced broker is not ready")
	}
}
