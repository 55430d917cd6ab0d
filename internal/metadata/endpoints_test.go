package metadata

import (
	"encoding/json"
	"testing"
)

// A registration written before per-listener endpoints (no Endpoints key)
// still loads and answers with its inter-broker endpoint.
func TestBrokerWithoutEndpointsLoads(t *testing.T) {
	var b Broker
	old := `{"ID":1,"Host":"h1","Port":9092,"Rack":"","Fenced":false,"ListenerName":"PLAINTEXT"}`
	if err := json.Unmarshal([]byte(old), &b); err != nil {
		t.Fatal(err)
	}
	want := Endpoint{Name: "PLAINTEXT", Host: "h1", Port: 9092}
	if eps := b.AllEndpoints(); len(eps) != 1 || eps[0] != want {
		t.Fatalf("AllEndpoints = %+v", eps)
	}
	if ep, ok := b.EndpointFor("PLAINTEXT"); !ok || ep != want {
		t.Fatalf("EndpointFor(PLAINTEXT) = %+v %v", ep, ok)
	}
	if _, ok := b.EndpointFor("EXTERNAL"); ok {
		t.Fatal("an old registration has no EXTERNAL endpoint")
	}
	b.Endpoints = []Endpoint{want, {Name: "EXTERNAL", Host: "e1", Port: 19092}}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var back Broker
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(b) {
		t.Fatalf("round trip = %+v, want %+v", back, b)
	}
}
