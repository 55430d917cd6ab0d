package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"
)

// BenchmarkReadFrame1MiB reads a 1 MiB frame through a bufio.Reader into a
// reused buffer (the pooled steady state) and into a fresh one.
func BenchmarkReadFrame1MiB(b *testing.B) {
	frame := binary.BigEndian.AppendUint32(nil, 1<<20)
	frame = append(frame, make([]byte, 1<<20)...)
	for _, bufSize := range []int{8 << 10, 64 << 10} {
		for _, reuse := range []bool{true, false} {
			name := map[bool]string{true: "reused", false: "fresh"}[reuse]
			b.Run(name+"/bufio"+map[int]string{8 << 10: "8K", 64 << 10: "64K"}[bufSize], func(b *testing.B) {
				src := bytes.NewReader(frame)
				r := bufio.NewReaderSize(src, bufSize)
				var buf []byte
				b.SetBytes(int64(len(frame)))
				for i := 0; i < b.N; i++ {
					src.Reset(frame)
					r.Reset(src)
					if !reuse {
						buf = nil
					}
					out, err := ReadFrame(r, 8<<20, buf)
					if err != nil {
						b.Fatal(err)
					}
					buf = out[:0]
				}
			})
		}
	}
}
