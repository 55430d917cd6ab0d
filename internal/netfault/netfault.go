// Package netfault disconnects and partitions the nodes of an in-process
// cluster in tests, in the style of hashicorp/raft's testing.go
// (Disconnect, Partition) and fuzzy transport hooks.
//
// Every connection a node opens to another node (Raft, replica fetchers,
// broker-to-controller requests) goes through that node's dialer from a
// Network (server.Options.Dial). Nodes register the addresses they listen
// on; a dial to a registered address of a node whose link to the dialer is
// cut fails with ErrCut, and cutting a link closes the live connections
// dialed over it, in either direction, so both ends see it break at once.
// Dials to unregistered addresses (clients, other services) pass through.
// Connections from Kafka clients are not dialed here and are never cut: a
// test's producer still reaches an isolated node, as it would in a real
// network partition between brokers.
//
// Production code never creates a Network; a nil dialer means plain TCP.
package netfault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
)

// ErrCut is returned by a dial over a cut link.
var ErrCut = errors.New("netfault: link cut")

// Network is the fault state between nodes identified by int32 ids.
// Safe for concurrent use.
type Network struct {
	mu    sync.Mutex
	addrs map[string]int32 // listening address -> node
	cut   map[link]bool
	conns map[*conn]struct{}
}

// link is an unordered pair of nodes, a < b.
type link struct{ a, b int32 }

func linkOf(x, y int32) link {
	if x > y {
		x, y = y, x
	}
	return link{x, y}
}

// New returns a fully connected network.
func New() *Network {
	return &Network{addrs: map[string]int32{}, cut: map[link]bool{}, conns: map[*conn]struct{}{}}
}

// Register records that node listens on addrs ("host:port" as dialed).
func (n *Network) Register(node int32, addrs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		n.addrs[a] = node
	}
}

// Dialer returns node from's dial function, shaped like
// (*net.Dialer).DialContext, for server.Options.Dial.
func (n *Network) Dialer(from int32) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.mu.Lock()
		to, known := n.addrs[addr]
		blocked := known && n.cut[linkOf(from, to)]
		n.mu.Unlock()
		if blocked {
			return nil, fmt.Errorf("dial %s (node %d -> %d): %w", addr, from, to, ErrCut)
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil || !known {
			return c, err
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.cut[linkOf(from, to)] { // cut while dialling
			c.Close()
			return nil, fmt.Errorf("dial %s (node %d -> %d): %w", addr, from, to, ErrCut)
		}
		tc := &conn{Conn: c, n: n, l: linkOf(from, to)}
		n.conns[tc] = struct{}{}
		return tc, nil
	}
}

// Cut breaks the link between a and b.
func (n *Network) Cut(a, b int32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cutLocked(linkOf(a, b))
}

// Disconnect cuts node from every other registered node.
func (n *Network) Disconnect(node int32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, other := range n.nodesLocked() {
		if other != node {
			n.cutLocked(linkOf(node, other))
		}
	}
}

// Partition cuts every link between nodes of different groups; links
// within a group are left as they are. Registered nodes in no group form
// one more group.
func (n *Network) Partition(groups ...[]int32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	groupOf := map[int32]int{}
	for i, g := range groups {
		for _, id := range g {
			groupOf[id] = i + 1
		}
	}
	nodes := n.nodesLocked()
	for _, id := range nodes {
		if _, ok := groupOf[id]; !ok {
			groupOf[id] = 0
		}
	}
	for id, g := range groupOf {
		for other, h := range groupOf {
			if id < other && g != h {
				n.cutLocked(linkOf(id, other))
			}
		}
	}
}

// Heal restores every link. Connections closed by a cut stay closed; the
// nodes dial again.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cut)
}

// Connected reports whether the link between a and b is up.
func (n *Network) Connected(a, b int32) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.cut[linkOf(a, b)]
}

func (n *Network) cutLocked(l link) {
	if l.a == l.b {
		return
	}
	n.cut[l] = true
	for c := range n.conns {
		if c.l == l {
			delete(n.conns, c)
			c.Conn.Close()
		}
	}
}

func (n *Network) nodesLocked() []int32 {
	var out []int32
	for _, id := range n.addrs {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// conn is a connection dialed between two nodes; it leaves the tracking
// set when closed.
type conn struct {
	net.Conn
	n    *Network
	l    link
	once sync.Once
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.n.mu.Lock()
		delete(c.n.conns, c)
		c.n.mu.Unlock()
	})
	return c.Conn.Close()
}
