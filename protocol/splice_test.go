package protocol

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// spliceCase builds a Fetch response of version v over topics named by
// names, every partition p of topic t holding lens[t*parts+p] record bytes
// (0: none), and writes the record bytes to a file. It returns the
// response with regions and the same response with the bytes inline.
func spliceCase(t testing.TB, v int16, names []string, parts int, lens []int) (*kmsg.FetchResponse, *FetchRegions, *kmsg.FetchResponse) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "segment"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	build := func() *kmsg.FetchResponse {
		resp := kmsg.NewPtrFetchResponse()
		resp.SetVersion(v)
		resp.ThrottleMillis = 7
		for ti, name := range names {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = name, [16]byte{byte(ti), 0xFF, 2}
			for p := range parts {
				rp := kmsg.NewFetchResponseTopicPartition()
				rp.Partition, rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = int32(p), 0xFFFF01, -1, 2
				rp.RecordBatches = []byte{}
				if p%2 == 1 {
					at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
					at.ProducerID, at.FirstOffset = 0x0200FF, 1
					rp.AbortedTransactions = append(rp.AbortedTransactions, at)
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		if v >= 16 {
			br := kmsg.NewFetchResponseBroker()
			br.NodeID, br.Host, br.Port = 1, "h\x00\xff", 9092
			resp.Brokers = append(resp.Brokers, br)
		}
		return resp
	}
	spliced, inline := build(), build()
	regs := &FetchRegions{}
	pos := int64(0)
	for i, n := range lens {
		if n == 0 {
			continue
		}
		data := bytes.Repeat([]byte{byte(i), 0x00, 0xFF, 0x02}, n/4+1)[:n]
		if _, err := f.WriteAt(data, pos); err != nil {
			t.Fatal(err)
		}
		ti, p := i/parts, i%parts
		inline.Topics[ti].Partitions[p].RecordBatches = data
		regs.Add(ti, p, FileRegion{File: f, Pos: pos, Len: n}, nil)
		pos += int64(n) + 3
	}
	return spliced, regs, inline
}

// joinPieces reads the pieces as the network layer writes them.
func joinPieces(t testing.TB, pieces []Piece) []byte {
	t.Helper()
	var out []byte
	for _, p := range pieces {
		if p.Region == nil {
			out = append(out, p.Bytes...)
			continue
		}
		buf := make([]byte, p.Region.Len)
		if _, err := p.Region.File.ReadAt(buf, p.Region.Pos); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf...)
	}
	return out
}

// checkSplice: the spliced pieces are byte for byte kmsg's encoding of the
// response with the record bytes inline.
func checkSplice(t testing.TB, v int16, names []string, parts int, lens []int) {
	t.Helper()
	spliced, regs, inline := spliceCase(t, v, names, parts, lens)
	var s Splicer
	pieces, err := s.Splice(42, spliced, regs)
	if err != nil {
		t.Fatalf("v%d %q %v: %v", v, names, lens, err)
	}
	want := AppendResponse(nil, 42, inline)
	if got := joinPieces(t, pieces); !bytes.Equal(got, want) {
		t.Fatalf("v%d %q %v: spliced %d bytes differ from kmsg's %d", v, names, lens, len(got), len(want))
	}
}

func TestSpliceMatchesKmsgEncoding(t *testing.T) {
	cases := []struct {
		names []string
		parts int
		lens  []int
	}{
		{[]string{"t"}, 1, []int{1}},
		{[]string{"t"}, 3, []int{100, 0, 1 << 20}},
		{[]string{"a", "b"}, 2, []int{0, 126, 127, 128}}, // uvarint prefix grows past one byte
		{[]string{"\x02\x00", "\xff"}, 3, []int{5, 0, 0, 0, 16383, 16384}},
		{[]string{"t"}, 2, []int{0, 0}}, // no region at all
	}
	for _, v := range []int16{4, 7, 11, 12, 13, 15, 16} {
		for _, c := range cases {
			checkSplice(t, v, c.names, c.parts, c.lens)
		}
	}
}

func TestSpliceRefusesABadRegionList(t *testing.T) {
	spliced, regs, _ := spliceCase(t, 13, []string{"t"}, 2, []int{10, 20})
	regs.Add(0, 1, FileRegion{File: regs.entries[0].region.File, Len: 3}, nil) // the same partition twice
	var s Splicer
	if _, err := s.Splice(1, spliced, regs); err == nil {
		t.Fatal("two regions for one partition spliced")
	}
	spliced, regs, _ = spliceCase(t, 13, []string{"t"}, 2, []int{10, 0})
	regs.Add(3, 0, FileRegion{File: regs.entries[0].region.File, Len: 3}, nil) // no such topic
	if _, err := s.Splice(1, spliced, regs); err == nil {
		t.Fatal("a region for a missing topic spliced")
	}
}

func TestFetchRegionsRelease(t *testing.T) {
	released := 0
	r := &FetchRegions{}
	ctx := WithFetchRegions(context.Background(), r)
	FetchRegionsFrom(ctx).Add(0, 0, FileRegion{Len: 5}, func() { released++ })
	FetchRegionsFrom(ctx).Add(0, 1, FileRegion{Len: 7}, func() { released++ })
	if r.Len() != 2 || r.Bytes() != 12 {
		t.Fatalf("%d regions of %d bytes, want 2 of 12", r.Len(), r.Bytes())
	}
	r.Release()
	if released != 2 || r.Len() != 0 {
		t.Fatalf("released %d, %d left", released, r.Len())
	}
	if FetchRegionsFrom(context.Background()) != nil {
		t.Fatal("a context without regions has some")
	}
}

// FuzzSplice: for any topic names, version and record-set lengths the
// spliced response equals kmsg's encoding.
func FuzzSplice(f *testing.F) {
	f.Add(int16(13), "t", "\x02", uint16(1), uint16(0), uint16(300))
	f.Add(int16(4), "\x00\x00\x00\x01", "x", uint16(0), uint16(127), uint16(2))
	f.Fuzz(func(t *testing.T, v int16, a, b string, l1, l2, l3 uint16) {
		v = 4 + (v&0x7fff)%13
		checkSplice(t, v, []string{a, b}, 2, []int{int(l1), int(l2), int(l3), 0})
	})
}
