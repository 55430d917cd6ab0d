package network

import (
	"bufio"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// One port carries both protocols: a connection that starts with RaftMagic
// reaches the Raft side without the magic, every other one is served as
// Kafka with its first byte intact.
func TestMuxRoutesRaftAndKafka(t *testing.T) {
	m, err := ListenMux("CONTROLLER", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Serve()
	vs := protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.Metadata), Min: 0, Max: 12}})
	l := NewListener(Config{Name: "CONTROLLER", MaxRequestBytes: 1 << 20, Versions: vs, Handler: &echoHandler{}}, m.Kafka())
	l.Serve()
	t.Cleanup(func() {
		l.Close()
		m.Close()
	})

	raftDone := make(chan []byte, 1)
	go func() {
		c, err := m.Raft().Accept()
		if err != nil {
			raftDone <- nil
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b := make([]byte, 5)
		if _, err := io.ReadFull(c, b); err != nil {
			raftDone <- nil
			return
		}
		raftDone <- b
	}()
	rc, err := DialRaft(nil, m.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.Write([]byte{0, 1, 2, 3, 4}) // Raft's first byte looks like a Kafka size
	select {
	case got := <-raftDone:
		if string(got) != string([]byte{0, 1, 2, 3, 4}) {
			t.Fatalf("raft side read %v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("raft connection not routed")
	}

	kc := dialAddr(t, m.Addr().String())
	kc.Write(metadataFrame(42))
	if corr, _ := readResponse(t, bufio.NewReader(kc)); corr != 42 {
		t.Fatalf("kafka side answered correlation %d", corr)
	}
}

// Closing the mux closes a connection that never sent its first byte.
func TestMuxCloseDropsSilentConnections(t *testing.T) {
	m, err := ListenMux("X", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Serve()
	c := dialAddr(t, m.Addr().String())
	time.Sleep(50 * time.Millisecond) // let the mux accept it
	done := make(chan struct{})
	go func() {
		m.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on a silent connection")
	}
	expectClosed(t, c)
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// startLimitedMux serves Metadata on a Mux's Kafka side under limits.
func startLimitedMux(t *testing.T, limits *ConnLimits) (*Mux, *countingListener) {
	t.Helper()
	m, err := ListenMux("INTERNAL", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingListener{Listener: m.ln}
	m.ln = counting
	m.Limit(limits)
	m.Serve()
	vs := protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.Metadata), Min: 0, Max: 12}})
	l := NewListener(Config{Name: "INTERNAL", MaxRequestBytes: 1 << 20, Versions: vs, Handler: &echoHandler{},
		Limits: limits, IPCountedUpstream: true}, m.Kafka())
	l.Serve()
	t.Cleanup(func() {
		l.Close()
		m.Close()
	})
	return m, counting
}

// a Mux (the controller listener, a broker-only node's
// inter-broker listener) applies max.connections.per.ip as it accepts,
// before the connection's first byte, and gives the place back on close.
func TestMuxMaxConnectionsPerIP(t *testing.T) {
	m, _ := startLimitedMux(t, NewConnLimits(LimitsConfig{MaxConnections: 100, MaxPerIP: 1}))
	addr := m.Addr().String()
	silent := dialFrom(t, "127.0.0.1", addr)
	time.Sleep(50 * time.Millisecond) // let the mux accept it
	expectServerClosed(t, dialFrom(t, "127.0.0.1", addr), "a second connection from 127.0.0.1 while the first is silent")
	if !served(t, dialFrom(t, "127.0.0.2", addr), 1) {
		t.Fatal("127.0.0.2 not served")
	}
	silent.Close()
	for attempt := 0; ; attempt++ {
		if served(t, dialFrom(t, "127.0.0.1", addr), 1) {
			break
		}
		if attempt == 100 {
			t.Fatal("a closed connection's place was never freed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// raftRoutes reports whether a Raft connection dialed now reaches m's
// Raft side within a few seconds.
func raftRoutes(t *testing.T, m *Mux) bool {
	t.Helper()
	got := make(chan net.Conn, 1)
	go func() {
		c, err := m.Raft().Accept()
		if err != nil {
			got <- nil
			return
		}
		got <- c
	}()
	rc, err := DialRaft(nil, m.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	select {
	case c := <-got:
		if c == nil {
			return false
		}
		c.Close()
		return true
	case <-time.After(3 * time.Second):
		m.raft.Close() // ends the Accept above; the Mux closes at cleanup
		<-got
		return false
	}
}

// Connections that never send their first byte (for up to peekTimeout
// each) must not keep the Mux from accepting: the Raft connections of the
// quorum arrive on the same port.
func TestMuxSilentConnectionsDoNotStallRaft(t *testing.T) {
	m, _ := startLimitedMux(t, nil)
	for range muxMaxPending + 8 {
		dialFrom(t, "127.0.0.1", m.Addr().String())
	}
	if !raftRoutes(t, m) {
		t.Fatal("a Raft connection was not accepted while silent connections were being classified")
	}
}

// when the Kafka side waits at its connection limit, the Mux
// holds at most muxMaxPending connections for it (a descriptor and a
// goroutine each) and closes the ones after, and it keeps accepting, so
// Raft connections on the same port still get through.
func TestMuxBoundsWhatWaitsForItsKafkaSide(t *testing.T) {
	limits := NewConnLimits(LimitsConfig{MaxConnections: 1, MaxPerIP: 1000})
	m, _ := startLimitedMux(t, limits)
	addr := m.Addr().String()
	if !served(t, dialFrom(t, "127.0.0.1", addr), 1) {
		t.Fatal("first connection not served")
	}
	// One waits in the listener for a slot, muxMaxPending wait to be
	// handed over; the rest are closed.
	for range muxMaxPending + 1 {
		dialFrom(t, "127.0.0.1", addr).Write(metadataFrame(1))
	}
	time.Sleep(200 * time.Millisecond) // let the mux classify them
	over := dialFrom(t, "127.0.0.1", addr)
	over.Write(metadataFrame(1))
	over.SetDeadline(time.Now().Add(5 * time.Second))
	expectServerClosed(t, over, "a Kafka connection beyond the Mux's queue")
	if !raftRoutes(t, m) {
		t.Fatal("a Raft connection was not accepted while the Kafka side waited")
	}
}
