package network

import (
	"bufio"
	"io"
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
