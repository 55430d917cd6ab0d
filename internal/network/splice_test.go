package network

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// regionHandler answers Fetch v13 with partition p's record set being
// lens[p] bytes of file from offsets[p], left in the file as a region.
type regionHandler struct {
	file     *os.File
	offsets  []int64
	lens     []int
	released atomic.Int32
	noRegion atomic.Int32 // fetches that came without a region collector
}

func (h *regionHandler) Handle(ctx context.Context, req *protocol.Request) kmsg.Response {
	resp := kmsg.NewPtrFetchResponse()
	rt := kmsg.NewFetchResponseTopic()
	rt.TopicID = [16]byte{1}
	regs := protocol.FetchRegionsFrom(ctx)
	if regs == nil {
		h.noRegion.Add(1)
	}
	for p := range h.lens {
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.Partition, rp.HighWatermark, rp.RecordBatches = int32(p), 99, []byte{}
		if h.lens[p] > 0 && regs != nil {
			regs.Add(0, p, protocol.FileRegion{File: h.file, Pos: h.offsets[p], Len: h.lens[p]},
				func() { h.released.Add(1) })
		}
		rt.Partitions = append(rt.Partitions, rp)
	}
	resp.Topics = append(resp.Topics, rt)
	return resp
}

func startRegionListener(t *testing.T, cfg Config, h *regionHandler) *Listener {
	t.Helper()
	vs := protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.Fetch), Min: 4, Max: 16}})
	cfg.Name, cfg.Addr, cfg.MaxRequestBytes, cfg.Versions, cfg.Handler = "T", "127.0.0.1:0", 1<<20, vs, h
	l, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })
	return l
}

// fetchOnce sends one Fetch v13 over c and decodes the answer.
func fetchOnce(t *testing.T, c net.Conn) (*kmsg.FetchResponse, error) {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(13)
	if _, err := c.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, 7)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return nil, err
	}
	frame := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, frame); err != nil {
		return nil, err
	}
	if corr := int32(binary.BigEndian.Uint32(frame)); corr != 7 {
		t.Fatalf("correlation id %d, want 7", corr)
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.SetVersion(13)
	if err := resp.ReadFrom(frame[5:]); err != nil { // correlation id, empty header tags
		t.Fatalf("decode fetch response: %v", err)
	}
	return resp, nil
}

// TestFetchRegionsReachTheClient: record sets left in a file arrive intact
// over plain TCP (sendfile, whole and in chunks under
// connections.max.idle.ms) and over TLS (copied through a buffer), several
// fetches in a row, and every region is released.
func TestFetchRegionsReachTheClient(t *testing.T) {
	content := make([]byte, 3<<20)
	for i := range content {
		content[i] = byte(i*7 + i>>11)
	}
	path := filepath.Join(t.TempDir(), "segment.log")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	tlsf := newTLSFixture(t, "none", "")
	large := []int{1000, 0, 2<<20 - 3, 10}
	small := []int{1000, 0, 20000, 10} // read into the response buffer, written at once
	for _, tc := range []struct {
		name string
		cfg  Config
		tls  bool
		lens []int
	}{
		{"plain", Config{}, false, large},
		{"plain-idle-timeout", Config{MaxIdle: time.Minute}, false, large},
		{"tls", Config{TLS: tlsf.server}, true, large},
		{"plain-small", Config{}, false, small},
		{"tls-small", Config{TLS: tlsf.server}, true, small},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &regionHandler{file: f, offsets: []int64{5, 0, 1 << 20, 3<<20 - 10}, lens: tc.lens}
			l := startRegionListener(t, tc.cfg, h)
			var c net.Conn
			var err error
			if tc.tls {
				c, err = tls.Dial("tcp", l.Addr().String(), tlsf.client.Clone())
			} else {
				c, err = net.Dial("tcp", l.Addr().String())
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for round := range 3 {
				resp, err := fetchOnce(t, c)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				for p, rp := range resp.Topics[0].Partitions {
					want := content[h.offsets[p] : h.offsets[p]+int64(h.lens[p])]
					if !bytes.Equal(rp.RecordBatches, want) || rp.HighWatermark != 99 {
						t.Fatalf("round %d partition %d: %d record bytes (hw %d), want the file's %d",
							round, p, len(rp.RecordBatches), rp.HighWatermark, len(want))
					}
				}
			}
			waitReleased(t, h, 9)
			if n := h.noRegion.Load(); n != 0 {
				t.Fatalf("%d fetches had no region collector", n)
			}
		})
	}
}

// TestFetchRegionTruncatedClosesConnection: a region longer than its file
// (a log truncated after the read) ends the connection instead of sending
// a short or padded response, and the region is still released.
func TestFetchRegionTruncatedClosesConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segment.log")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	tlsf := newTLSFixture(t, "none", "")
	for _, tc := range []struct {
		name     string
		cfg      Config
		pos, len int
	}{
		{"plain", Config{}, 512 << 10, 1 << 20},
		{"tls", Config{TLS: tlsf.server}, 512 << 10, 1 << 20},
		{"plain-small", Config{}, 1<<20 - 500, 800},
		{"tls-small", Config{TLS: tlsf.server}, 1<<20 - 500, 800},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &regionHandler{file: f, offsets: []int64{int64(tc.pos)}, lens: []int{tc.len}}
			l := startRegionListener(t, tc.cfg, h)
			var c net.Conn
			if tc.cfg.TLS != nil {
				c, err = tls.Dial("tcp", l.Addr().String(), tlsf.client.Clone())
			} else {
				c, err = net.Dial("tcp", l.Addr().String())
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := fetchOnce(t, c); !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				t.Fatalf("fetch of a truncated region: %v, want the connection closed mid-response", err)
			}
			waitReleased(t, h, 1)
		})
	}
}

func waitReleased(t *testing.T, h *regionHandler, want int32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); h.released.Load() != want; {
		if time.Now().After(deadline) {
			t.Fatalf("%d regions released, want %d", h.released.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFetchRegionClientGoneReleases: a client that closes its connection
// while a large record set is being sent ends the send (EPIPE or reset),
// rather than retrying it for ever, and the region is released.
func TestFetchRegionClientGoneReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segment.log")
	if err := os.WriteFile(path, make([]byte, 32<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	h := &regionHandler{file: f, offsets: []int64{0}, lens: []int{32 << 20}}
	l := startRegionListener(t, Config{}, h)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(13)
	if _, err := c.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, 7)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 64<<10)); err != nil { // the send has begun
		t.Fatal(err)
	}
	c.Close()
	waitReleased(t, h, 1)
}
