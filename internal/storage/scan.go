package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/samsa-io/samsa/protocol/records"
)

const scanBufferSize = 1 << 20

// scanBatches reads the log file f between start and end, checks every
// batch (bounds, magic, CRC) and calls fn for each valid one. It returns the
// position after the last valid batch. The error is nil at a clean end,
// wraps errTornTail or records.ErrCorrupt where the valid prefix stops, and
// is anything else for an I/O failure or an error from fn.
func scanBatches(f *os.File, start, end int64, fn func(pos int64, batch []byte, h records.Header) error) (int64, error) {
	// No bigger than the span: every batch in it still fits, and opening
	// thousands of small or empty segments does not allocate 1 MiB each.
	r := bufio.NewReaderSize(io.NewSectionReader(f, start, end-start), int(min(scanBufferSize, max(end-start, 16))))
	var big []byte
	pos := start
	for pos < end {
		prefix, err := r.Peek(12)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return pos, fmt.Errorf("at %d: %d bytes left: %w", pos, end-pos, errTornTail)
			}
			return pos, err
		}
		size := 12 + int64(int32(be.Uint32(prefix[8:])))
		if size < records.HeaderSize {
			return pos, fmt.Errorf("at %d: batch length %d: %w", pos, size-12, records.ErrCorrupt)
		}
		if pos+size > end {
			return pos, fmt.Errorf("at %d: batch of %d bytes, %d left: %w", pos, size, end-pos, errTornTail)
		}
		var batch []byte
		if size <= scanBufferSize {
			batch, err = r.Peek(int(size))
		} else {
			big = append(big[:0], make([]byte, size)...)
			_, err = io.ReadFull(r, big)
			batch = big
		}
		if err != nil {
			return pos, fmt.Errorf("read batch at %d: %w", pos, err)
		}
		h, err := records.Check(batch)
		if err != nil {
			return pos, fmt.Errorf("at %d: %w", pos, err)
		}
		if err := fn(pos, batch, h); err != nil {
			return pos, err
		}
		if size <= scanBufferSize {
			if _, err := r.Discard(int(size)); err != nil {
				return pos, err
			}
		}
		pos += size
	}
	return pos, nil
}

// headerReader reads batch headers at arbitrary positions of a log file
// through a small window, so walking many small batches costs few preads.
type headerReader struct {
	f      *os.File
	end    int64 // committed size: never read at or beyond it
	buf    []byte
	start  int64 // file position of buf[0]
	window int   // bytes per pread; 0 means headerWindow
}

const headerWindow = 16 << 10

// at returns the header of the batch starting at pos.
func (r *headerReader) at(pos int64) (records.Header, error) {
	if pos+records.HeaderSize > r.end {
		return records.Header{}, fmt.Errorf("header at %d beyond %d: %w", pos, r.end, records.ErrCorrupt)
	}
	if pos < r.start || pos+records.HeaderSize > r.start+int64(len(r.buf)) {
		window := r.window
		if window == 0 {
			window = headerWindow
		}
		n := min(int64(window), r.end-pos)
		if cap(r.buf) < int(n) {
			r.buf = make([]byte, window)
		}
		r.buf = r.buf[:n]
		if _, err := r.f.ReadAt(r.buf, pos); err != nil {
			r.buf = r.buf[:0]
			return records.Header{}, fmt.Errorf("read header at %d: %w", pos, err)
		}
		r.start = pos
	}
	h, err := records.ParseHeader(r.buf[pos-r.start:])
	if err == nil && (h.BatchLength < records.HeaderSize-12 || pos+int64(h.Size()) > r.end) {
		err = fmt.Errorf("header at %d: length %d: %w", pos, h.BatchLength, records.ErrCorrupt)
	}
	return h, err
}
