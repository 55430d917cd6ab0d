package storage

import (
	"fmt"
	"testing"
)

// BenchmarkAppend appends payloads of 1 KiB records batched into 16 KiB
// and 1 MiB (several batches per payload, as a producer's request would
// carry for one partition) with the default flush policy.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{16 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("payload=%dKiB", size>>10), func(b *testing.B) {
			var payload []byte
			for len(payload)+16<<10 <= size {
				payload = append(payload, makeBatch(b, 15, 1024, 1)...)
			}
			l := openLog(b, b.TempDir(), DefaultConfig())
			defer l.Close()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Append(payload, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	l := openLog(b, b.TempDir(), DefaultConfig())
	defer l.Close()
	batch := makeBatch(b, 15, 1024, 1)
	for i := 0; i < 2000; i++ {
		mustAppend(b, l, append([]byte(nil), batch...), 1)
	}
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	off := int64(0)
	for b.Loop() {
		out, err := l.Read(off, 1<<20, l.LogEndOffset())
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
		off = (off + 15*60) % (l.LogEndOffset() - 15)
	}
}
