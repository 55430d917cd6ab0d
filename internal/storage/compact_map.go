package storage

import (
	"context"
	"crypto/md5"
	"fmt"

	"github.com/samsa-io/samsa/protocol/records"
)

// offsetMap maps the MD5 of a key to the last offset of that key in the
// dirty section (Kafka's SkimpyOffsetMap uses the same hash).
type offsetMap struct {
	m map[[md5.Size]byte]int64
}

func (om *offsetMap) put(key []byte, offset int64) { om.m[md5.Sum(key)] = offset }

func (om *offsetMap) get(key []byte) (int64, bool) {
	off, ok := om.m[md5.Sum(key)]
	return off, ok
}

// buildOffsetMap maps the keys of the dirty section, segment by segment,
// and returns the offset up to which the map is complete: the base of the
// first segment it did not read (maxKeys reached) or the plan's end. The
// first dirty segment is always read whole, even past maxKeys.
func buildOffsetMap(ctx context.Context, p *cleanPlan, maxKeys int) (*offsetMap, int64, error) {
	om := &offsetMap{m: make(map[[md5.Size]byte]int64)}
	end := p.firstDirty
	for i, s := range p.segs {
		if s.next.Load() <= p.firstDirty {
			continue
		}
		if len(om.m) >= maxKeys && end > p.firstDirty {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		if err := mapSegment(om, s, p.firstDirty); err != nil {
			return nil, 0, err
		}
		end = p.end
		if i+1 < len(p.segs) {
			end = p.segs[i+1].base
		}
	}
	return om, end, nil
}

// mapSegment adds the keyed records of s at or above from to the map.
// Control and transactional batches are not mapped (no transactions yet:
// they are kept as they are and never supersede anything).
func mapSegment(om *offsetMap, s *segment, from int64) error {
	_, err := scanBatches(s.f, 0, s.size.Load(), func(_ int64, batch []byte, h records.Header) error {
		if h.LastOffset() < from || h.IsControl() || h.IsTransactional() {
			return nil
		}
		return records.ForEachRecord(batch, func(r records.Record) bool {
			if off := r.Offset(h); !r.KeyNull && off >= from {
				om.put(r.Key, off)
			}
			return true
		})
	})
	if err != nil {
		return fmt.Errorf("map segment %d: %w", s.base, err)
	}
	return nil
}

// lastProducerBatches returns, per idempotent producer, the base offset of
// its last batch in the log, walking batch headers without locks (a
// segment closed meanwhile fails the walk, and the pass aborts).
func lastProducerBatches(segs []*segment) (map[int64]int64, error) {
	last := make(map[int64]int64)
	for _, s := range segs {
		hr := &headerReader{f: s.f, end: s.size.Load()}
		for pos := int64(0); pos < hr.end; {
			h, err := hr.at(pos)
			if err != nil {
				return nil, fmt.Errorf("producer batches of segment %d: %w", s.base, err)
			}
			if h.ProducerID >= 0 {
				last[h.ProducerID] = h.BaseOffset
			}
			pos += int64(h.Size())
		}
	}
	return last, nil
}
