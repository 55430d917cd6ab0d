package protocol

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// A Fetch response can leave its record sets in the log's segment files:
// the handler names each as a FileRegion instead of copying it into
// RecordBatches, and the network layer writes the encoded response around
// them, sending the regions with sendfile where the connection allows
// (plain TCP) and through a small buffer otherwise (TLS). The response is
// still encoded by kmsg; SpliceFetchResponse only finds where each record
// set goes in kmsg's encoding.

// FileRegion is Len bytes of File from Pos.
type FileRegion struct {
	File *os.File
	Pos  int64
	Len  int
}

// FetchRegions collects a Fetch response's file-backed record sets. The
// network layer puts one in the request's context (WithFetchRegions); a
// handler that finds none returns the bytes in RecordBatches as usual.
// It is used by one request's goroutine; Release frees every region once
// the response was written or abandoned.
type FetchRegions struct {
	entries []fetchRegion
}

type fetchRegion struct {
	topic, partition int // indexes into FetchResponse.Topics and its Partitions
	region           FileRegion
	release          func()
}

type fetchRegionsKey struct{}

// WithFetchRegions returns ctx carrying r.
func WithFetchRegions(ctx context.Context, r *FetchRegions) context.Context {
	return context.WithValue(ctx, fetchRegionsKey{}, r)
}

// FetchRegionsFrom returns the collector in ctx, or nil.
func FetchRegionsFrom(ctx context.Context) *FetchRegions {
	r, _ := ctx.Value(fetchRegionsKey{}).(*FetchRegions)
	return r
}

// Add names region as the record set of resp.Topics[topic].Partitions[partition],
// whose RecordBatches the handler leaves empty; release is called once by
// Release.
func (r *FetchRegions) Add(topic, partition int, region FileRegion, release func()) {
	r.entries = append(r.entries, fetchRegion{topic: topic, partition: partition, region: region, release: release})
}

// Len is how many regions were added.
func (r *FetchRegions) Len() int {
	if r == nil {
		return 0
	}
	return len(r.entries)
}

// Bytes is the regions' total length.
func (r *FetchRegions) Bytes() int {
	if r == nil {
		return 0
	}
	n := 0
	for _, e := range r.entries {
		n += e.region.Len
	}
	return n
}

// MoveTo hands r's regions to dst, which then releases them.
func (r *FetchRegions) MoveTo(dst *FetchRegions) {
	dst.entries = append(dst.entries, r.entries...)
	r.entries = r.entries[:0]
}

// Release calls every region's release and empties r.
func (r *FetchRegions) Release() {
	if r == nil {
		return
	}
	for _, e := range r.entries {
		if e.release != nil {
			e.release()
		}
	}
	r.entries = r.entries[:0]
}

// Piece is one part of a spliced response: bytes, or a file region.
type Piece struct {
	Bytes  []byte
	Region *FileRegion
}

// Splicer encodes Fetch responses around file regions, keeping its buffers
// between responses. It is used by one goroutine.
type Splicer struct {
	low, high, out []byte
	pieces         []Piece
}

// ErrSplice reports a response the splicer cannot encode around regions
// (the caller then copies the regions into RecordBatches).
var ErrSplice = errors.New("cannot splice fetch response")

var (
	placeholderLow  = []byte{0x00}
	placeholderHigh = []byte{0xFF}
)

// Splice encodes resp as a response frame with correlationID in which
// every region of regs is the record set of its partition. It returns the
// pieces to write in order; they stay valid until the next Splice.
//
// kmsg encodes the response twice, with a one-byte placeholder record set
// 0x00 and then 0xFF in each region's partition: the only bytes that
// differ are the placeholders, in encoding order. Each is then replaced by
// its region, and its length prefix (an int32 before v12, a compact
// unsigned varint of length+1 from v12) and the frame size are rewritten.
func (s *Splicer) Splice(correlationID int32, resp *kmsg.FetchResponse, regs *FetchRegions) ([]Piece, error) {
	entries := regs.entries
	slices.SortFunc(entries, func(a, b fetchRegion) int {
		if a.topic != b.topic {
			return a.topic - b.topic
		}
		return a.partition - b.partition
	})
	for i, e := range entries {
		if e.topic >= len(resp.Topics) || e.partition >= len(resp.Topics[e.topic].Partitions) ||
			len(resp.Topics[e.topic].Partitions[e.partition].RecordBatches) != 0 || e.region.Len <= 0 ||
			(i > 0 && entries[i-1].topic == e.topic && entries[i-1].partition == e.partition) {
			return nil, fmt.Errorf("region %d for topic %d partition %d: %w", i, e.topic, e.partition, ErrSplice)
		}
	}
	setAll := func(b []byte) {
		for _, e := range entries {
			resp.Topics[e.topic].Partitions[e.partition].RecordBatches = b
		}
	}
	setAll(placeholderLow)
	s.low = AppendResponse(s.low[:0], correlationID, resp)
	setAll(placeholderHigh)
	s.high = AppendResponse(s.high[:0], correlationID, resp)
	setAll([]byte{})
	if len(s.low) != len(s.high) {
		return nil, fmt.Errorf("encodings of %d and %d bytes: %w", len(s.low), len(s.high), ErrSplice)
	}
	flexible := resp.Version >= 12
	s.out, s.pieces = s.out[:0], s.pieces[:0]
	var cuts []int // in s.out: where each region goes
	from, k := 0, 0
	for i := range s.low {
		if s.low[i] == s.high[i] {
			continue
		}
		if k == len(entries) {
			return nil, fmt.Errorf("more placeholders than %d regions: %w", len(entries), ErrSplice)
		}
		n := entries[k].region.Len
		if flexible {
			if i < 1 || s.low[i-1] != 2 {
				return nil, fmt.Errorf("placeholder at %d without its length: %w", i, ErrSplice)
			}
			s.out = append(s.out, s.low[from:i-1]...)
			s.out = binary.AppendUvarint(s.out, uint64(n)+1)
		} else {
			if i < 4 || binary.BigEndian.Uint32(s.low[i-4:]) != 1 {
				return nil, fmt.Errorf("placeholder at %d without its length: %w", i, ErrSplice)
			}
			s.out = append(s.out, s.low[from:i-4]...)
			s.out = binary.BigEndian.AppendUint32(s.out, uint32(n))
		}
		cuts = append(cuts, len(s.out))
		from, k = i+1, k+1
	}
	if k != len(entries) {
		return nil, fmt.Errorf("%d placeholders for %d regions: %w", k, len(entries), ErrSplice)
	}
	s.out = append(s.out, s.low[from:]...)
	size := len(s.out) - 4 + regs.Bytes()
	if size > 1<<31-1 {
		return nil, fmt.Errorf("response of %d bytes: %w", size, ErrSplice)
	}
	binary.BigEndian.PutUint32(s.out, uint32(size))
	prev := 0
	for j, cut := range cuts {
		if cut > prev {
			s.pieces = append(s.pieces, Piece{Bytes: s.out[prev:cut]})
		}
		s.pieces = append(s.pieces, Piece{Region: &entries[j].region})
		prev = cut
	}
	if prev < len(s.out) {
		s.pieces = append(s.pieces, Piece{Bytes: s.out[prev:]})
	}
	return s.pieces, nil
}

// Materialize reads every region into its partition's RecordBatches, for a
// connection that encodes the response whole instead.
func (r *FetchRegions) Materialize(resp *kmsg.FetchResponse) error {
	for _, e := range r.entries {
		if e.topic >= len(resp.Topics) || e.partition >= len(resp.Topics[e.topic].Partitions) {
			return fmt.Errorf("region for topic %d partition %d: %w", e.topic, e.partition, ErrSplice)
		}
		buf := make([]byte, e.region.Len)
		if _, err := e.region.File.ReadAt(buf, e.region.Pos); err != nil {
			return fmt.Errorf("read %d record bytes at %d: %w", e.region.Len, e.region.Pos, err)
		}
		resp.Topics[e.topic].Partitions[e.partition].RecordBatches = buf
	}
	return nil
}
