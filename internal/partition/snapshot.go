package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
)

// Producer-state snapshots. Rebuilding producer and transaction state by
// reading every batch header of the log makes opening a big partition
// slow, so, as Kafka does, the state is written to
// <20-digit offset>.snapshot in the partition directory when a segment
// rolls and at a clean close. The state in a snapshot at offset S is
// exactly what replaying the batches below S gives (the partition holds
// its lock from the append to the snapshot), so opening loads the newest
// usable snapshot and replays only the batches from S (snapshot_file.go).
//
// The format is ours, not Kafka's: Kafka keeps only each producer's last
// batch and rebuilds aborted transactions from its .txnindex files; Samsa
// needs the last five batches (duplicate detection answers a retry with its
// original offsets) and keeps aborted transactions in memory only, so the
// snapshot carries the aborted list too and opening never reads the log
// below S.
//
// All integers are big-endian:
//
//	version        int16   1
//	crc            uint32  CRC32C (Castagnoli) of every byte after this field
//	offset         int64   the state covers every batch below this offset
//	producers      uint32 count, then per producer in ascending id order:
//	  id             int64
//	  epoch          int16
//	  lastTimestamp  int64   max timestamp of its latest batch (expiry)
//	  lastOffset     int64   last offset of its latest batch, marker or data
//	  coordEpoch     int32   highest coordinator epoch of its markers, or -1
//	  batches        uint8 count (0..5), oldest first:
//	    firstSeq int32, lastSeq int32, baseOffset int64, lastOffset int64,
//	    appendTime int64 (LogAppendTime, or -1)
//	ongoing        uint32 count, ascending producer id: id int64, firstOffset int64
//	aborted        uint32 count, in marker order: id int64, firstOffset int64,
//	               markerOffset int64
//
// The decoder accepts only what the encoder writes (canonical order, every
// offset below the snapshot offset, no trailing bytes), so a damaged file
// that still passes the CRC cannot produce state the log could not have.

const (
	snapshotVersion    = 1
	snapshotHeaderSize = 2 + 4 + 8
	producerFixedSize  = 8 + 2 + 8 + 8 + 4 + 1
	cachedBatchSize    = 4 + 4 + 8 + 8 + 8
	ongoingSize        = 8 + 8
	abortedSize        = 8 + 8 + 8
)

// errBadSnapshot marks a snapshot file that cannot be used.
var errBadSnapshot = errors.New("partition: bad producer snapshot")

// producerSnapshot is the producer and transaction state of a partition as
// of offset: what replaying every batch below offset yields.
type producerSnapshot struct {
	offset    int64
	producers producers
	ongoing   map[int64]int64 // producer id -> first offset of its open transaction
	aborted   []AbortedTxn
}

// encodeProducerSnapshot serialises s.
func encodeProducerSnapshot(s *producerSnapshot) []byte {
	size := snapshotHeaderSize + 12 + len(s.ongoing)*ongoingSize + len(s.aborted)*abortedSize
	for _, st := range s.producers {
		size += producerFixedSize + st.n*cachedBatchSize
	}
	b := make([]byte, 6, size)
	binary.BigEndian.PutUint16(b, snapshotVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(s.offset))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.producers)))
	for _, id := range slices.Sorted(maps.Keys(s.producers)) {
		st := s.producers[id]
		b = binary.BigEndian.AppendUint64(b, uint64(id))
		b = binary.BigEndian.AppendUint16(b, uint16(st.epoch))
		b = binary.BigEndian.AppendUint64(b, uint64(st.lastTimestamp))
		b = binary.BigEndian.AppendUint64(b, uint64(st.lastOffset))
		b = binary.BigEndian.AppendUint32(b, uint32(st.coordinatorEpoch))
		b = append(b, byte(st.n))
		for _, m := range st.cached() {
			b = binary.BigEndian.AppendUint32(b, uint32(m.firstSeq))
			b = binary.BigEndian.AppendUint32(b, uint32(m.lastSeq))
			b = binary.BigEndian.AppendUint64(b, uint64(m.baseOffset))
			b = binary.BigEndian.AppendUint64(b, uint64(m.lastOffset))
			b = binary.BigEndian.AppendUint64(b, uint64(m.appendTime))
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.ongoing)))
	for _, id := range slices.Sorted(maps.Keys(s.ongoing)) {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
		b = binary.BigEndian.AppendUint64(b, uint64(s.ongoing[id]))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.aborted)))
	for _, a := range s.aborted {
		b = binary.BigEndian.AppendUint64(b, uint64(a.ProducerID))
		b = binary.BigEndian.AppendUint64(b, uint64(a.FirstOffset))
		b = binary.BigEndian.AppendUint64(b, uint64(a.LastOffset))
	}
	binary.BigEndian.PutUint32(b[2:], crc32.Checksum(b[6:], castagnoli))
	return b
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapReader reads big-endian fields, remembering the first overrun.
type snapReader struct {
	b   []byte
	bad bool
}

func (r *snapReader) take(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *snapReader) i64() int64  { return int64(binary.BigEndian.Uint64(r.take(8))) }
func (r *snapReader) i32() int32  { return int32(binary.BigEndian.Uint32(r.take(4))) }
func (r *snapReader) i16() int16  { return int16(binary.BigEndian.Uint16(r.take(2))) }
func (r *snapReader) u8() int     { return int(r.take(1)[0]) }
func (r *snapReader) left() int   { return len(r.b) }
func (r *snapReader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }

// count reads an array length and checks that the bytes left can hold
// that many entries of at least minSize bytes, before anything is
// allocated for them.
func (r *snapReader) count(minSize int) (int, bool) {
	n := r.u32()
	if r.bad || uint64(n)*uint64(minSize) > uint64(r.left()) {
		return 0, false
	}
	return int(n), true
}

// decodeProducerSnapshot parses and checks a snapshot file's contents.
func decodeProducerSnapshot(b []byte) (*producerSnapshot, error) {
	if len(b) < snapshotHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes is too short", errBadSnapshot, len(b))
	}
	if v := binary.BigEndian.Uint16(b); v != snapshotVersion {
		return nil, fmt.Errorf("%w: unknown version %d", errBadSnapshot, v)
	}
	if want, got := binary.BigEndian.Uint32(b[2:]), crc32.Checksum(b[6:], castagnoli); want != got {
		return nil, fmt.Errorf("%w: crc %08x, computed %08x", errBadSnapshot, want, got)
	}
	r := &snapReader{b: b[6:]}
	s := &producerSnapshot{offset: r.i64(), producers: make(producers), ongoing: make(map[int64]int64)}
	if s.offset < 0 {
		return nil, fmt.Errorf("%w: offset %d", errBadSnapshot, s.offset)
	}
	if err := s.decodeProducers(r); err != nil {
		return nil, err
	}
	if err := s.decodeTxns(r); err != nil {
		return nil, err
	}
	if r.bad {
		return nil, fmt.Errorf("%w: truncated", errBadSnapshot)
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadSnapshot, r.left())
	}
	return s, nil
}

func (s *producerSnapshot) decodeProducers(r *snapReader) error {
	n, ok := r.count(producerFixedSize)
	if !ok {
		return fmt.Errorf("%w: producer count", errBadSnapshot)
	}
	prev := int64(-1)
	for range n {
		id := r.i64()
		st := &producerState{epoch: r.i16(), lastTimestamp: r.i64(), lastOffset: r.i64(), coordinatorEpoch: r.i32()}
		nb := r.u8()
		if r.bad || id <= prev || nb > cachedBatches || st.lastOffset < 0 || st.lastOffset >= s.offset || st.coordinatorEpoch < -1 {
			return fmt.Errorf("%w: producer entry %d", errBadSnapshot, id)
		}
		prevBase := int64(-1)
		for range nb {
			m := batchMeta{firstSeq: r.i32(), lastSeq: r.i32(), baseOffset: r.i64(), lastOffset: r.i64(), appendTime: r.i64()}
			if r.bad || m.baseOffset <= prevBase || m.lastOffset < m.baseOffset || m.lastOffset > st.lastOffset {
				return fmt.Errorf("%w: cached batch of producer %d", errBadSnapshot, id)
			}
			prevBase = m.baseOffset
			st.push(m)
		}
		s.producers[id] = st
		prev = id
	}
	return nil
}

func (s *producerSnapshot) decodeTxns(r *snapReader) error {
	n, ok := r.count(ongoingSize)
	if !ok {
		return fmt.Errorf("%w: open transaction count", errBadSnapshot)
	}
	prev := int64(-1)
	for range n {
		id, first := r.i64(), r.i64()
		if r.bad || id <= prev || first < 0 || first >= s.offset {
			return fmt.Errorf("%w: open transaction of producer %d", errBadSnapshot, id)
		}
		s.ongoing[id] = first
		prev = id
	}
	if n, ok = r.count(abortedSize); !ok {
		return fmt.Errorf("%w: aborted transaction count", errBadSnapshot)
	}
	s.aborted = make([]AbortedTxn, 0, n)
	prev = -1
	for range n {
		a := AbortedTxn{ProducerID: r.i64(), FirstOffset: r.i64(), LastOffset: r.i64()}
		if r.bad || a.ProducerID < 0 || a.FirstOffset < 0 || a.LastOffset < a.FirstOffset || a.LastOffset <= prev ||
			a.LastOffset >= s.offset {
			return fmt.Errorf("%w: aborted transaction of producer %d", errBadSnapshot, a.ProducerID)
		}
		s.aborted = append(s.aborted, a)
		prev = a.LastOffset
	}
	return nil
}

// retain drops what a replay from logStart would not know: producers whose
// latest batch lies wholly below it (unless a transaction of theirs is
// still open), cached batches below it and aborted transactions whose
// marker is below it. A snapshot taken before retention advanced the log
// start then gives the same state as a full replay.
func (s *producerSnapshot) retain(logStart int64) {
	for id, st := range s.producers {
		if _, open := s.ongoing[id]; st.lastOffset < logStart && !open {
			delete(s.producers, id)
			continue
		}
		kept := st.cached()
		kept = slices.DeleteFunc(kept, func(m batchMeta) bool { return m.lastOffset < logStart })
		st.n, st.head = 0, 0
		for _, m := range kept {
			st.push(m)
		}
	}
	s.aborted = slices.DeleteFunc(s.aborted, func(a AbortedTxn) bool { return a.LastOffset < logStart })
}
