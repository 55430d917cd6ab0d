package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func testVersions() *Versions {
	return NewVersions([]VersionRange{
		{Key: int16(kmsg.Produce), Min: 3, Max: 11},
		{Key: int16(kmsg.Metadata), Min: 0, Max: 12},
		{Key: int16(kmsg.ApiVersions), Min: 0, Max: 4},
	})
}

// encodeRequest frames a request as a client would (without the size).
func encodeRequest(req kmsg.Request, corr int32, clientID string) []byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))
	framed := f.AppendRequest(nil, req, corr)
	return framed[4:]
}

func TestParseRequestRoundTrip(t *testing.T) {
	for _, v := range []int16{0, 4, 9, 12} { // non-flexible and flexible headers
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(v)
		topic := "orders"
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = &topic
		req.Topics = append(req.Topics, rt)
		got, err := ParseRequest(encodeRequest(req, 77, "client-a"), testVersions())
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if got.CorrelationID != 77 || got.ClientID != "client-a" || got.Version != v {
			t.Fatalf("v%d: header %+v", v, got.Header)
		}
		body := got.Body.(*kmsg.MetadataRequest)
		if len(body.Topics) != 1 || *body.Topics[0].Topic != "orders" {
			t.Fatalf("v%d: body %+v", v, body)
		}
	}
}

func TestParseRequestVersionGate(t *testing.T) {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(2)
	_, err := ParseRequest(encodeRequest(req, 1, "c"), testVersions())
	if !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("produce v2: got %v, want ErrUnsupportedVersion", err)
	}
	frame := []byte{0x27, 0x0f, 0, 0, 0, 0, 0, 5, 0xff, 0xff} // key 9999
	r, err := ParseRequest(frame, testVersions())
	if !errors.Is(err, ErrUnknownKey) || r.CorrelationID != 5 {
		t.Fatalf("key 9999: got %v %+v", err, r)
	}
}

func TestParseRequestTruncatedBody(t *testing.T) {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	topic := "orders"
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = &topic
	req.Topics = append(req.Topics, rt)
	full := encodeRequest(req, 1, "c")
	for cut := 8; cut < len(full)-1; cut++ {
		if _, err := ParseRequest(full[:cut], testVersions()); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", cut, len(full))
		}
	}
}

// A tagged-field count far beyond the bytes that follow must end the
// decode at once. kmsg before v1.15.1 looped once per claimed field after
// the input ran out: 20 bytes claiming 2^32-1 fields kept a core busy for
// about 20 s (found by FuzzParseRequest), so a few such requests a second
// would starve the broker.
func TestTaggedFieldCountBomb(t *testing.T) {
	// Metadata v12, correlation id 1, client id "c", no header tags; the
	// body: no topics, two booleans, then a tag count of 2^32-1.
	frame := []byte{0, 3, 0, 12, 0, 0, 0, 1, 0, 1, 'c', 0, 1, 1, 0}
	frame = binary.AppendUvarint(frame, 1<<32-1)
	if _, err := ParseRequest(frame, testVersions()); err == nil {
		t.Fatal("a request claiming 2^32-1 tagged fields parsed")
	}
}

func TestReadFrameLimits(t *testing.T) {
	var big bytes.Buffer
	binary.Write(&big, binary.BigEndian, int32(200<<20))
	if _, err := ReadFrame(&big, 100<<20, nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
	var neg bytes.Buffer
	binary.Write(&neg, binary.BigEndian, int32(-1))
	if _, err := ReadFrame(&neg, 100<<20, nil); !errors.Is(err, ErrBadFrameSize) {
		t.Fatalf("got %v, want ErrBadFrameSize", err)
	}
}

// TestReadFrameAllocatesWhatArrived: a peer that announces a 64 MiB frame
// and then sends 1 KiB makes ReadFrame allocate about what arrived, not
// what was announced.
func TestReadFrameAllocatesWhatArrived(t *testing.T) {
	var in bytes.Buffer
	binary.Write(&in, binary.BigEndian, int32(64<<20))
	in.Write(make([]byte, 1024))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadFrame(&in, 100<<20, nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("reading 1 KiB of an announced 64 MiB frame allocated %d bytes", grew)
	}
	// A frame that does arrive whole still reads whole, across growth steps.
	want := make([]byte, 300<<10)
	for i := range want {
		want[i] = byte(i)
	}
	in.Reset()
	binary.Write(&in, binary.BigEndian, int32(len(want)))
	in.Write(want)
	got, err := ReadFrame(&in, 100<<20, make([]byte, 0, 100))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadFrame = %d bytes, %v; want the %d bytes sent", len(got), err, len(want))
	}
}

func TestUnsupportedApiVersionsIsV0(t *testing.T) {
	resp := UnsupportedApiVersions(testVersions())
	out := AppendResponse(nil, 9, resp)
	// size(4) corr(4) error(2) array len(4) ...: a v0 body, no tagged fields.
	if got := int16(binary.BigEndian.Uint16(out[8:])); got != 35 {
		t.Fatalf("error code %d, want 35", got)
	}
	if n := int32(binary.BigEndian.Uint32(out[10:])); n != 3 {
		t.Fatalf("%d api keys, want 3", n)
	}
}

func FuzzParseRequest(f *testing.F) {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	f.Add(encodeRequest(req, 1, "c"))
	p := kmsg.NewPtrProduceRequest()
	p.SetVersion(9)
	f.Add(encodeRequest(p, 2, "producer"))
	f.Add([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 0})
	vs := testVersions()
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, err := ParseRequest(frame, vs)
		if err == nil && r.Body == nil {
			t.Fatal("no error and no body")
		}
	})
}
