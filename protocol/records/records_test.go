package records

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/klauspost/compress/snappy"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kmsgBatch builds an uncompressed batch with franz-go's encoder, an
// implementation independent of this package's.
func kmsgBatch(t testing.TB, base int64, n int) []byte {
	t.Helper()
	var recs []byte
	for i := 0; i < n; i++ {
		r := kmsg.Record{
			TimestampDelta64: int64(i * 10),
			OffsetDelta:      int32(i),
			Key:              []byte(fmt.Sprintf("k%d", i)),
			Value:            []byte(fmt.Sprintf("value-%d", i)),
			Headers:          []kmsg.Header{{Key: "h", Value: []byte("v")}},
		}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // length varint is 1 byte here
		recs = r.AppendTo(recs)
	}
	b := kmsg.RecordBatch{
		FirstOffset: base, Magic: 2, LastOffsetDelta: int32(n - 1),
		FirstTimestamp: 1000, MaxTimestamp: 1000 + int64(n-1)*10,
		ProducerID: 7, ProducerEpoch: 1, FirstSequence: 3, NumRecords: int32(n), Records: recs,
	}
	raw := b.AppendTo(nil)
	be.PutUint32(raw[8:], uint32(len(raw)-12))
	be.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return raw
}

func TestParseHeaderFromKmsg(t *testing.T) {
	raw := kmsgBatch(t, 42, 5)
	h, err := Check(raw)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	want := Header{BaseOffset: 42, BatchLength: int32(len(raw) - 12), Magic: 2, CRC: h.CRC,
		LastOffsetDelta: 4, BaseTimestamp: 1000, MaxTimestamp: 1040, ProducerID: 7, ProducerEpoch: 1,
		BaseSequence: 3, NumRecords: 5}
	if h != want {
		t.Fatalf("header = %+v, want %+v", h, want)
	}
	if h.Size() != len(raw) || h.LastOffset() != 46 || h.Compression() != None {
		t.Fatalf("size %d last %d codec %v", h.Size(), h.LastOffset(), h.Compression())
	}
	recs, err := Records(raw)
	if err != nil {
		t.Fatalf("records: %v", err)
	}
	if len(recs) != 5 || string(recs[3].Key) != "k3" || string(recs[3].Value) != "value-3" ||
		recs[3].Timestamp(h) != 1030 || recs[4].Offset(h) != 46 || recs[2].Headers[0].Key != "h" {
		t.Fatalf("records = %+v", recs)
	}
}

func TestInPlaceStamping(t *testing.T) {
	raw := kmsgBatch(t, 0, 3)
	SetBaseOffset(raw, 1<<40)
	SetLeaderEpoch(raw, 9)
	h, err := Check(raw)
	if err != nil {
		t.Fatalf("check after stamping: %v", err)
	}
	if h.BaseOffset != 1<<40 || h.PartitionLeaderEpoch != 9 {
		t.Fatalf("header = %+v", h)
	}
	SetLogAppendTime(raw, 5555)
	h, err = Check(raw)
	if err != nil {
		t.Fatalf("check after log append time: %v", err)
	}
	if !h.LogAppendTime() || h.MaxTimestamp != 5555 {
		t.Fatalf("header = %+v", h)
	}
	recs, _ := Records(raw)
	if recs[0].Timestamp(h) != 5555 {
		t.Fatalf("record timestamp %d", recs[0].Timestamp(h))
	}
}

func TestValidate(t *testing.T) {
	a, b := kmsgBatch(t, 0, 3), kmsgBatch(t, 0, 2)
	payload := append(append([]byte{}, a...), b...)
	s, err := Validate(payload, 1<<20)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if s.Batches != 2 || s.Records != 5 || s.Bytes != len(payload) || s.FirstHeader.NumRecords != 3 ||
		s.LastHeader.NumRecords != 2 || s.MaxTimestamp != 1020 || s.MaxTimestampBatch != 0 {
		t.Fatalf("summary = %+v", s)
	}
	mutate := func(f func(p []byte) []byte) []byte {
		return f(append([]byte{}, payload...))
	}
	reCRC := func(p []byte) []byte { be.PutUint32(p[17:], Checksum(p[:len(a)])); return p }
	cases := []struct {
		name    string
		payload []byte
		max     int
		want    error
	}{
		{"empty", nil, 0, ErrCorrupt},
		{"bad crc", mutate(func(p []byte) []byte { p[len(p)-1] ^= 1; return p }), 0, ErrCorrupt},
		{"torn", payload[:len(payload)-1], 0, ErrCorrupt},
		{"short length", mutate(func(p []byte) []byte { be.PutUint32(p[8:], 10); return p }), 0, ErrCorrupt},
		{"magic", mutate(func(p []byte) []byte { p[16] = 1; return p }), 0, ErrUnsupportedMagic},
		{"too large", payload, len(payload) - 1, ErrTooLarge},
		{"delta", mutate(func(p []byte) []byte { be.PutUint32(p[23:], 7); return reCRC(p) }), 0, ErrCorrupt},
		{"negative count", mutate(func(p []byte) []byte { be.PutUint32(p[57:], 1<<31); return reCRC(p) }), 0, ErrCorrupt},
		{"no records", mutate(func(p []byte) []byte {
			be.PutUint32(p[57:], 0)
			be.PutUint32(p[23:], 0)
			return reCRC(p)
		}), 0, ErrInvalidRecord},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Validate(c.payload, c.max); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	a := kmsgBatch(t, 0, 2)
	two := append(append([]byte{}, a...), a...)
	batch, rest, err := Next(two)
	if err != nil || !bytes.Equal(batch, a) || len(rest) != len(a) {
		t.Fatalf("next: %v %d %d", err, len(batch), len(rest))
	}
	if _, _, err := Next(nil); err != io.EOF {
		t.Fatalf("empty: %v", err)
	}
	for _, cut := range []int{1, 11, 12, 60, len(a) - 1} {
		if _, _, err := Next(a[:cut]); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut %d: %v", cut, err)
		}
	}
	bad := append([]byte{}, a...)
	be.PutUint32(bad[8:], 0xffffffff)
	if _, _, err := Next(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("negative length: %v", err)
	}
}

func sampleRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{OffsetDelta: int32(i), TimestampDelta: int64(i),
			Key: []byte(fmt.Sprintf("key-%d", i)), Value: bytes.Repeat([]byte{byte(i)}, 100+i)}
	}
	recs[0].KeyNull, recs[0].Key = true, nil
	recs[1].ValueNull, recs[1].Value = true, nil
	recs[2].Headers = []RecordHeader{{Key: "a", Value: []byte("b")}, {Key: "n", ValueNull: true}}
	return recs
}

func TestCodecsRoundTrip(t *testing.T) {
	want := sampleRecords(50)
	for _, c := range []Codec{None, Gzip, Snappy, LZ4, Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			raw, err := AppendBatch(nil, Header{BaseOffset: 10, BaseTimestamp: 100}, want, c)
			if err != nil {
				t.Fatalf("append batch: %v", err)
			}
			h, err := Check(raw)
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			if h.Compression() != c || h.NumRecords != 50 || h.LastOffsetDelta != 49 || h.MaxTimestamp != 149 {
				t.Fatalf("header = %+v", h)
			}
			got, err := Records(raw)
			if err != nil {
				t.Fatalf("records: %v", err)
			}
			compareRecords(t, got, want)
		})
	}
}

func TestSnappyXerialFraming(t *testing.T) {
	want := sampleRecords(20)
	plain, _ := AppendBatch(nil, Header{}, want, None)
	body := plain[HeaderSize:]
	framed := append([]byte{}, xerialMagic...)
	framed = be.AppendUint32(be.AppendUint32(framed, 1), 1)
	for len(body) > 0 { // chunks of 300 bytes, as the Java client would with a small block size
		n := min(300, len(body))
		chunk := snappy.Encode(nil, body[:n])
		framed = append(be.AppendUint32(framed, uint32(len(chunk))), chunk...)
		body = body[n:]
	}
	raw := append(append([]byte{}, plain[:HeaderSize]...), framed...)
	be.PutUint16(raw[posAttributes:], uint16(Snappy))
	be.PutUint32(raw[posBatchLength:], uint32(len(raw)-12))
	be.PutUint32(raw[posCRC:], Checksum(raw))
	got, err := Records(raw)
	if err != nil {
		t.Fatalf("records: %v", err)
	}
	compareRecords(t, got, want)
}

func TestRecordsRejectsCountMismatch(t *testing.T) {
	raw, _ := AppendBatch(nil, Header{}, sampleRecords(3), None)
	be.PutUint32(raw[posNumRecords:], 4)
	if _, err := Records(raw); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("err = %v", err)
	}
}

func compareRecords(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.OffsetDelta != w.OffsetDelta || g.TimestampDelta != w.TimestampDelta || !bytes.Equal(g.Key, w.Key) ||
			!bytes.Equal(g.Value, w.Value) || g.KeyNull != w.KeyNull || g.ValueNull != w.ValueNull ||
			len(g.Headers) != len(w.Headers) {
			t.Fatalf("record %d = %+v, want %+v", i, g, w)
		}
		for j := range w.Headers {
			if g.Headers[j].Key != w.Headers[j].Key || !bytes.Equal(g.Headers[j].Value, w.Headers[j].Value) ||
				g.Headers[j].ValueNull != w.Headers[j].ValueNull {
				t.Fatalf("record %d header %d = %+v", i, j, g.Headers[j])
			}
		}
	}
}

func BenchmarkValidate1MiB(b *testing.B) {
	var payload []byte
	for len(payload) < 1<<20 {
		payload, _ = AppendBatch(payload, Header{}, sampleRecords(100), None)
	}
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := Validate(payload, 0); err != nil {
			b.Fatal(err)
		}
	}
}
