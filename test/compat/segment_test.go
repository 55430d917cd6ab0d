package compat

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// batchInfo is what the tests need from one record batch header in a
// segment file.
type batchInfo struct {
	file        string
	pos         int64
	baseOffset  int64
	magic       int8
	attributes  int16
	recordCount int32
}

// codec is the compression codec: the low three bits of the attributes.
func (b batchInfo) codec() int { return int(b.attributes & 7) }

// Byte offsets in a v2 record batch header (Kafka's DefaultRecordBatch).
const (
	lengthOff  = 8  // int32: bytes after this field, so batch size = 12 + length
	magicOff   = 16 // int8: 2
	attrOff    = 21 // int16: compression in bits 0-2
	countOff   = 57 // int32: number of records
	headerSize = 61
)

// readSegments parses the batch headers of every *.log file in a
// partition directory, in file-name (base offset) order.
func readSegments(dir string) ([]batchInfo, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .log files in %s", dir)
	}
	slices.Sort(files)
	var all []batchInfo
	for _, f := range files {
		bs, err := readSegment(f)
		if err != nil {
			return nil, err
		}
		all = append(all, bs...)
	}
	return all, nil
}

// readSegment walks one segment file batch by batch. A zero length field
// ends the walk only if the rest of the file is zero (preallocation).
func readSegment(path string) ([]batchInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []batchInfo
	for pos := 0; pos < len(data); {
		rest := data[pos:]
		if len(rest) < headerSize {
			if allZero(rest) {
				break
			}
			return nil, fmt.Errorf("%s@%d: %d trailing bytes, less than a batch header", path, pos, len(rest))
		}
		length := int(int32(binary.BigEndian.Uint32(rest[lengthOff:])))
		if length == 0 && allZero(rest) {
			break
		}
		size := 12 + length
		if length < headerSize-12 || size > len(rest) {
			return nil, fmt.Errorf("%s@%d: batch length %d does not fit the %d bytes left", path, pos, length, len(rest))
		}
		out = append(out, batchInfo{
			file:        filepath.Base(path),
			pos:         int64(pos),
			baseOffset:  int64(binary.BigEndian.Uint64(rest)),
			magic:       int8(rest[magicOff]),
			attributes:  int16(binary.BigEndian.Uint16(rest[attrOff:])),
			recordCount: int32(binary.BigEndian.Uint32(rest[countOff:])),
		})
		pos += size
	}
	return out, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestReadSegment checks the parser on two synthetic batches and a
// zero-filled tail, independent of any broker.
func TestReadSegment(t *testing.T) {
	var file []byte
	for i, attrs := range []int16{3, 4} {
		b := kmsg.RecordBatch{FirstOffset: int64(i * 5), Magic: 2, Attributes: attrs,
			NumRecords: 5, Records: []byte("opaque records")}
		b.Length = int32(len(b.AppendTo(nil)) - 12)
		file = b.AppendTo(file)
	}
	file = append(file, make([]byte, 100)...)
	path := filepath.Join(t.TempDir(), "00000000000000000000.log")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readSegments(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].codec() != 3 || got[1].codec() != 4 || got[1].baseOffset != 5 ||
		got[0].recordCount != 5 || got[1].magic != 2 {
		t.Fatalf("parsed %+v", got)
	}
	if err := os.WriteFile(path, file[:len(file)-110], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSegments(filepath.Dir(path)); err == nil {
		t.Fatal("truncated batch parsed without error")
	}
}
