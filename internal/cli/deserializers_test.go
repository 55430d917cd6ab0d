package cli

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestDeserializersPrintAsJava(t *testing.T) {
	be := binary.BigEndian
	for _, tc := range []struct {
		class string
		in    []byte
		want  string
	}{
		{"LongDeserializer", be.AppendUint64(nil, uint64(1<<40)), "1099511627776"},
		{"org.apache.kafka.common.serialization.LongDeserializer", be.AppendUint64(nil, math.MaxUint64), "-1"},
		{"IntegerDeserializer", be.AppendUint32(nil, uint32(0x80000000)), "-2147483648"},
		{"ShortDeserializer", be.AppendUint16(nil, 300), "300"},
		{"DoubleDeserializer", be.AppendUint64(nil, math.Float64bits(1.5)), "1.5"},
		{"DoubleDeserializer", be.AppendUint64(nil, math.Float64bits(1e10)), "1.0E10"},
		{"DoubleDeserializer", be.AppendUint64(nil, math.Float64bits(-0.25)), "-0.25"},
		{"DoubleDeserializer", be.AppendUint64(nil, math.Float64bits(1.25e-5)), "1.25E-5"},
		{"DoubleDeserializer", be.AppendUint64(nil, math.Float64bits(100)), "100.0"},
		{"FloatDeserializer", be.AppendUint32(nil, math.Float32bits(0.1)), "0.1"},
		{"BooleanDeserializer", []byte{1}, "true"},
		{"BytesDeserializer", []byte("a\\b\x00\xff"), `a\x5Cb\x00\xFF`},
		{"UUIDDeserializer", []byte("1F0E3DAD-9990-4A9B-8C6E-23E1C1A0B2A5"), "1f0e3dad-9990-4a9b-8c6e-23e1c1a0b2a5"},
		{"StringDeserializer", []byte("héllo"), "héllo"},
	} {
		d, err := lookupDeserializer(tc.class)
		if err != nil {
			t.Fatalf("%s: %v", tc.class, err)
		}
		if got, err := d(tc.in); err != nil || got != tc.want {
			t.Errorf("%s(%x) = %q, %v; want %q", tc.class, tc.in, got, err, tc.want)
		}
	}
	long, _ := lookupDeserializer("LongDeserializer")
	if _, err := long([]byte("null")); err == nil || !strings.Contains(err.Error(), "is not 8") {
		t.Errorf("LongDeserializer of 4 bytes: %v, want a size error", err)
	}
	if _, err := lookupDeserializer("com.example.AvroDeserializer"); err == nil {
		t.Error("an unknown deserializer was accepted")
	}
}

func TestFormatterKinds(t *testing.T) {
	rec := &kgo.Record{Topic: "t", Key: []byte("k"), Value: []byte("v"), Timestamp: time.UnixMilli(0)}
	var log bytes.Buffer
	for _, tc := range []struct {
		class, want string
	}{
		{"", "v\n"},
		{"org.apache.kafka.tools.consumer.NoOpMessageFormatter", ""},
		{"org.apache.kafka.tools.consumer.LoggingMessageFormatter", "v\n"},
		{"kafka.tools.DefaultMessageFormatter", "v\n"},
	} {
		f, err := newMessageFormatter(tc.class, nil, &log)
		if err != nil {
			t.Fatalf("%q: %v", tc.class, err)
		}
		var out bytes.Buffer
		if err := f.format(&out, rec); err != nil || out.String() != tc.want {
			t.Errorf("%q printed %q (%v), want %q", tc.class, out.String(), err, tc.want)
		}
	}
	if !strings.Contains(log.String(), "INFO CreateTime:0, key:k, value:v (org.apache.kafka.tools.consumer.LoggingMessageFormatter)") {
		t.Errorf("Logging formatter logged %q", log.String())
	}
	if _, err := newMessageFormatter("com.example.Formatter", nil, io.Discard); err == nil {
		t.Error("an unknown formatter was accepted")
	}
}
