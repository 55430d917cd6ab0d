package protocol

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var (
	// ErrMalformed means the header or body could not be decoded.
	ErrMalformed = errors.New("protocol: malformed request")
	// ErrUnknownKey means the API key is not one this broker serves.
	ErrUnknownKey = errors.New("protocol: unknown api key")
	// ErrUnsupportedVersion means the key is known but the version is
	// outside the advertised range.
	ErrUnsupportedVersion = errors.New("protocol: unsupported version")
)

// Header is a parsed request header (v0, v1 or v2).
type Header struct {
	Key           int16
	Version       int16
	CorrelationID int32
	ClientID      string
}

// Request is a request whose header passed the version gate and whose body
// was decoded. Byte fields of Body (record batches) alias the frame.
type Request struct {
	Header
	Body kmsg.Request
	// ClientHost is the connection's remote host, set by the network
	// layer (DescribeGroups shows it as a member's CLIENT HOST).
	ClientHost string
	// Principal is the authenticated identity of the connection in Kafka's
	// "Type:name" form, set by the network layer: "User:ANONYMOUS" on
	// PLAINTEXT and on SSL without a client certificate, "User:<DN>" for
	// mTLS, "User:<name>" after SASL. Authorizers and quotas key on it.
	Principal string
	// Listener is the name of the listener the request arrived on (e.g.
	// PLAINTEXT), set by the network layer; Metadata, FindCoordinator and
	// DescribeCluster answer with brokers' endpoints for it. Empty for an
	// in-process request, which gets the inter-broker endpoints.
	Listener string
}

// ParseHeader decodes the fixed part of a request header: key, version and
// correlation id. It does not look at the client id, so a caller can answer
// even a request whose remaining header is garbage.
func ParseHeader(frame []byte) (Header, error) {
	if len(frame) < 8 {
		return Header{}, fmt.Errorf("%w: header needs 8 bytes, got %d", ErrMalformed, len(frame))
	}
	r := kbin.Reader{Src: frame}
	return Header{Key: r.Int16(), Version: r.Int16(), CorrelationID: r.Int32()}, nil
}

// ParseRequest checks the header against versions before decoding the body.
// On ErrUnknownKey or ErrUnsupportedVersion the returned Header is valid so
// the caller can answer (or close) with the right correlation id.
func ParseRequest(frame []byte, versions *Versions) (*Request, error) {
	h, err := ParseHeader(frame)
	if err != nil {
		return nil, err
	}
	vr, ok := versions.Lookup(h.Key)
	if !ok {
		return &Request{Header: h}, fmt.Errorf("%w: key %d", ErrUnknownKey, h.Key)
	}
	if h.Version < vr.Min || h.Version > vr.Max {
		return &Request{Header: h}, fmt.Errorf("%w: %s v%d (supported %d-%d)",
			ErrUnsupportedVersion, kmsg.NameForKey(h.Key), h.Version, vr.Min, vr.Max)
	}
	body := kmsg.RequestForKey(h.Key)
	if body == nil {
		return &Request{Header: h}, fmt.Errorf("%w: key %d", ErrUnknownKey, h.Key)
	}
	body.SetVersion(h.Version)
	r := kbin.Reader{Src: frame[8:]}
	if id := r.NullableString(); id != nil {
		h.ClientID = *id
	}
	if body.IsFlexible() {
		skipTags(&r)
	}
	if !r.Ok() {
		return &Request{Header: h}, fmt.Errorf("%w: %s v%d header", ErrMalformed, kmsg.NameForKey(h.Key), h.Version)
	}
	if err := body.ReadFrom(r.Src); err != nil {
		return &Request{Header: h}, fmt.Errorf("%w: %s v%d: %v", ErrMalformed, kmsg.NameForKey(h.Key), h.Version, err)
	}
	return &Request{Header: h, Body: body}, nil
}

// skipTags skips a tagged-field section (KIP-482): a count, then for each
// field a tag, a size and that many bytes.
func skipTags(r *kbin.Reader) {
	n := r.Uvarint()
	for i := uint32(0); i < n && r.Ok(); i++ {
		r.Uvarint()
		size := r.Uvarint()
		r.Span(int(size))
	}
}
