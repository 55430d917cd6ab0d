package netfault

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func listen(t *testing.T) (net.Listener, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	})
	return ln, accepted
}

// A cut refuses new dials between the two nodes, closes their live
// connections, leaves other links alone, and Heal restores dialling.
func TestCutRefusesDialsAndClosesLiveConnections(t *testing.T) {
	n := New()
	ln2, acc2 := listen(t)
	ln3, _ := listen(t)
	n.Register(2, ln2.Addr().String())
	n.Register(3, ln3.Addr().String())
	n.Register(1, "127.0.0.1:1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial1 := n.Dialer(1)
	c, err := dial1(ctx, "tcp", ln2.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer := <-acc2
	n.Partition([]int32{1}, []int32{2, 3})
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := peer.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("accepted end of a cut connection: read err %v, want closed", err)
	}
	if _, err := dial1(ctx, "tcp", ln2.Addr().String()); !errors.Is(err, ErrCut) {
		t.Fatalf("dial over a cut link: %v", err)
	}
	if n.Connected(1, 3) || !n.Connected(2, 3) {
		t.Fatal("Partition cut the wrong links")
	}
	if c3, err := n.Dialer(2)(ctx, "tcp", ln3.Addr().String()); err != nil {
		t.Fatalf("dial within a group: %v", err)
	} else {
		c3.Close()
	}
	n.Heal()
	if c2, err := dial1(ctx, "tcp", ln2.Addr().String()); err != nil {
		t.Fatalf("dial after heal: %v", err)
	} else {
		c2.Close()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
