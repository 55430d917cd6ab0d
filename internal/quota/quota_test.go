package quota

import (
	"math"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func image(q map[metadata.QuotaEntity]metadata.QuotaValues) *metadata.Image {
	im := metadata.Empty()
	im.Quotas = q
	return im
}

func TestResolvePrecedence(t *testing.T) {
	d := metadata.QuotaDefault
	all := map[metadata.QuotaEntity]metadata.QuotaValues{
		{User: "u", ClientID: "c"}: {"producer_byte_rate": 1},
		{User: "u", ClientID: d}:   {"producer_byte_rate": 2},
		{User: "u"}:                {"producer_byte_rate": 3},
		{User: d, ClientID: "c"}:   {"producer_byte_rate": 4},
		{User: d, ClientID: d}:     {"producer_byte_rate": 5},
		{User: d}:                  {"producer_byte_rate": 6},
		{ClientID: "c"}:            {"producer_byte_rate": 7},
		{ClientID: d}:              {"producer_byte_rate": 8},
	}
	order := []metadata.QuotaEntity{{User: "u", ClientID: "c"}, {User: "u", ClientID: d}, {User: "u"},
		{User: d, ClientID: "c"}, {User: d, ClientID: d}, {User: d}, {ClientID: "c"}, {ClientID: d}}
	c := Client{User: "u", ClientID: "c"}
	for i, e := range order {
		bound, measured, ok := Resolve(image(all), Produce, c)
		if !ok || bound != float64(i+1) {
			t.Fatalf("step %d: bound %v ok %v", i, bound, ok)
		}
		// A default part is measured per client: it carries the real name.
		if (e.User != "" && measured.User != "u") || (e.ClientID != "" && measured.ClientID != "c") {
			t.Fatalf("step %d: measured %+v", i, measured)
		}
		delete(all, e)
	}
	if _, _, ok := Resolve(image(all), Produce, c); ok {
		t.Fatal("no quota must apply")
	}
	if _, _, ok := Resolve(image(map[metadata.QuotaEntity]metadata.QuotaValues{{ClientID: "c"}: {"consumer_byte_rate": 1}}), Produce, c); ok {
		t.Fatal("a consumer quota must not limit producing")
	}
}

// A client that waits out every throttle time is held at the bound.
func TestThrottleHoldsRate(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	m := New(Config{WindowNum: 11, WindowSize: time.Second, Now: clk.now})
	const bound = 1 << 20
	im := image(map[metadata.QuotaEntity]metadata.QuotaValues{{ClientID: "p"}: {"producer_byte_rate": bound}})
	c := Client{User: "ANONYMOUS", ClientID: "p"}
	start, sent, throttled := clk.t, 0.0, 0
	for clk.t.Sub(start) < 30*time.Second {
		const chunk = 64 << 10
		sent += chunk
		if d := m.Record(im, Produce, c, chunk); d > 0 {
			throttled++
			clk.advance(d)
		}
		clk.advance(5 * time.Millisecond) // the client's own pace: ~12 MiB/s unthrottled
	}
	got := sent / clk.t.Sub(start).Seconds()
	if math.Abs(got-bound)/bound > 0.15 || throttled == 0 {
		t.Fatalf("rate %.0f B/s (bound %d), %d throttles", got, bound, throttled)
	}
	other := Client{User: "ANONYMOUS", ClientID: "free"}
	if d := m.Record(im, Produce, other, 100<<20); d != 0 {
		t.Fatalf("an unlimited client was throttled %v", d)
	}
}

func TestThrottleCappedAndRequestPercentage(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	m := New(Config{WindowNum: 2, WindowSize: time.Second, Now: clk.now})
	im := image(map[metadata.QuotaEntity]metadata.QuotaValues{{User: "u"}: {"consumer_byte_rate": 10, "request_percentage": 10}})
	c := Client{User: "u"}
	if d := m.Record(im, Fetch, c, 1e9); d != 2*time.Second {
		t.Fatalf("throttle %v, want the 2 s cap", d)
	}
	// 10% of a thread is 100 ms per second; 50 ms in a 1 s window is fine.
	if d := m.Record(im, Request, c, float64(50*time.Millisecond)); d != 0 {
		t.Fatalf("throttle %v", d)
	}
	if d := m.Record(im, Request, c, float64(500*time.Millisecond)); d <= 0 {
		t.Fatal("550 ms of handling in a second must be throttled")
	}
}

func TestHold(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	m := New(Config{Now: clk.now})
	im := image(map[metadata.QuotaEntity]metadata.QuotaValues{{ClientID: metadata.QuotaDefault}: {"producer_byte_rate": 10}})
	a, b := Client{ClientID: "a"}, Client{ClientID: "b"}
	m.Hold(im, Produce, a, 300*time.Millisecond)
	if d := m.HeldFor(im, Produce, a); d != 300*time.Millisecond {
		t.Fatalf("held %v", d)
	}
	if d := m.HeldFor(im, Produce, b); d > 0 {
		t.Fatalf("b held %v: default quotas are per client", d)
	}
	clk.advance(time.Second)
	if d := m.HeldFor(im, Produce, a); d > 0 {
		t.Fatalf("still held %v", d)
	}
	if ClientOf("User:alice", "x") != (Client{User: "alice", ClientID: "x"}) || !IsKey("request_percentage") || IsKey("x") {
		t.Fatal("helpers")
	}
}
