package cli

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/samsa-io/samsa/protocol/records"
)

// Index files (internal/storage/doc.go has the format): .index holds 8-byte
// entries (relative offset, position), .timeindex 12-byte entries
// (timestamp, relative offset), big-endian.

type indexKind int

const (
	offsetIndexKind indexKind = iota
	timeIndexKind
)

func (k indexKind) entrySize() int {
	if k == offsetIndexKind {
		return 8
	}
	return 12
}

// indexEntry is one decoded entry; pos is unused in a time index, ts in an
// offset index.
type indexEntry struct {
	offset int64 // absolute
	pos    int64
	ts     int64
}

// logBatch is one batch of the segment an index belongs to.
type logBatch struct {
	pos, base, last, maxTs int64
}

// dumpIndex prints an index file's entries (when print is set) and then
// its inconsistencies with the .log file beside it; it returns how many
// it found. With sanity set it prints a pass/fail line per file.
func dumpIndex(out io.Writer, file string, kind indexKind, print, sanity bool) (int, error) {
	base, err := segmentBase(file)
	if err != nil {
		return 0, err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("read index: %w", err)
	}
	entries := decodeIndex(raw, base, kind)
	if print {
		for _, e := range entries {
			if kind == offsetIndexKind {
				fmt.Fprintf(out, "offset: %d position: %d\n", e.offset, e.pos)
			} else {
				fmt.Fprintf(out, "timestamp: %d offset: %d\n", e.ts, e.offset)
			}
		}
	}
	var problems []string
	if rem := len(raw) % kind.entrySize(); rem != 0 {
		problems = append(problems, fmt.Sprintf("file size %d is not a multiple of the %d-byte entry size (%d trailing bytes)",
			len(raw), kind.entrySize(), rem))
	}
	logFile := strings.TrimSuffix(file, kindExt(kind)) + ".log"
	batches, err := scanBatches(logFile)
	if err != nil {
		problems = append(problems, fmt.Sprintf("cannot check against %s: %v", logFile, err))
	} else if kind == offsetIndexKind {
		problems = append(problems, checkOffsetIndex(entries, batches)...)
	} else {
		problems = append(problems, checkTimeIndex(entries, batches)...)
	}
	switch {
	case sanity && len(problems) == 0:
		fmt.Fprintf(out, "%s passed sanity check.\n", file)
	case len(problems) > 0:
		fmt.Fprintf(out, "Mismatches in :%s\n", file)
		for _, p := range problems {
			fmt.Fprintf(out, "  %s\n", p)
		}
	}
	return len(problems), nil
}

func kindExt(k indexKind) string {
	if k == offsetIndexKind {
		return ".index"
	}
	return ".timeindex"
}

func decodeIndex(raw []byte, base int64, kind indexKind) []indexEntry {
	be := binary.BigEndian
	size := kind.entrySize()
	out := make([]indexEntry, 0, len(raw)/size)
	for i := 0; i+size <= len(raw); i += size {
		if kind == offsetIndexKind {
			out = append(out, indexEntry{offset: base + int64(be.Uint32(raw[i:])), pos: int64(be.Uint32(raw[i+4:]))})
		} else {
			out = append(out, indexEntry{ts: int64(be.Uint64(raw[i:])), offset: base + int64(be.Uint32(raw[i+8:]))})
		}
	}
	return out
}

// scanBatches lists the segment's batches by their headers, stopping at the
// first torn or impossible one (recovery would truncate there).
func scanBatches(logFile string) ([]logBatch, error) {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return nil, err
	}
	var out []logBatch
	pos := 0
	for rest := data; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			break
		}
		h, err := records.ParseHeader(batch)
		if err != nil {
			break
		}
		out = append(out, logBatch{pos: int64(pos), base: h.BaseOffset, last: h.LastOffset(), maxTs: h.MaxTimestamp})
		pos += len(batch)
		rest = next
	}
	return out, nil
}

// checkOffsetIndex checks Samsa's (and Kafka's) offset index contract: an
// entry (offset, position) is added after an append whose last offset is
// offset and which started at position (an append may carry several
// batches). So position is a batch boundary, every batch before it ends
// below offset, the batch at it ends at or below offset, and entries
// increase strictly in both fields.
func checkOffsetIndex(entries []indexEntry, batches []logBatch) []string {
	var problems []string
	byPos := make(map[int64]int, len(batches))
	for i, b := range batches {
		byPos[b.pos] = i
	}
	for n, e := range entries {
		where := fmt.Sprintf("entry %d (offset %d, position %d):", n, e.offset, e.pos)
		if n > 0 && (e.offset <= entries[n-1].offset || e.pos <= entries[n-1].pos) {
			problems = append(problems, fmt.Sprintf("%s does not increase over entry %d (offset %d, position %d)",
				where, n-1, entries[n-1].offset, entries[n-1].pos))
			continue
		}
		i, ok := byPos[e.pos]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s no batch starts at this position", where))
		case i > 0 && batches[i-1].last >= e.offset:
			problems = append(problems, fmt.Sprintf("Index offset: %d, log offset: %d (%s the batch before the position already holds it)",
				e.offset, batches[i-1].last, where))
		case e.offset < batches[i].last:
			problems = append(problems, fmt.Sprintf("Index offset: %d, log offset: %d (%s the batch at the position ends after the indexed offset)",
				e.offset, batches[i].last, where))
		case e.offset > batches[len(batches)-1].last:
			problems = append(problems, fmt.Sprintf("%s beyond the log's last offset %d", where, batches[len(batches)-1].last))
		}
	}
	return problems
}

// checkTimeIndex checks that timestamps increase and that each entry names
// the last offset of a batch whose max timestamp is the entry's timestamp.
func checkTimeIndex(entries []indexEntry, batches []logBatch) []string {
	var problems []string
	for n, e := range entries {
		where := fmt.Sprintf("entry %d (timestamp %d, offset %d):", n, e.ts, e.offset)
		if n > 0 && (e.ts <= entries[n-1].ts || e.offset < entries[n-1].offset) {
			problems = append(problems, fmt.Sprintf("%s Indexed timestamp or offset decreases (entry %d: timestamp %d, offset %d)",
				where, n-1, entries[n-1].ts, entries[n-1].offset))
			continue
		}
		i := sort.Search(len(batches), func(i int) bool { return batches[i].last >= e.offset })
		switch {
		case i == len(batches):
			problems = append(problems, fmt.Sprintf("%s beyond the log's last offset", where))
		case batches[i].last != e.offset:
			problems = append(problems, fmt.Sprintf("%s not the last offset of a batch (the batch holding it ends at %d)", where, batches[i].last))
		case batches[i].maxTs != e.ts:
			problems = append(problems, fmt.Sprintf("Time index timestamp: %d, log timestamp: %d (%s)", e.ts, batches[i].maxTs, where))
		}
	}
	return problems
}
