package protocol

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// AppendResponse appends a complete response frame (size, header, body) to
// dst. Flexible responses carry an empty tagged-field section in their
// header, except ApiVersions, whose response header is always v0 so that a
// client that does not yet know our versions can read it.
func AppendResponse(dst []byte, correlationID int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(correlationID))
	if resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions) {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// UnsupportedApiVersions builds the answer to an ApiVersions request whose
// version we do not know: a v0-format body with UNSUPPORTED_VERSION and our
// ranges, which every client can parse and use to pick a version it shares.
func UnsupportedApiVersions(versions *Versions) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	resp.ErrorCode = 35 // UNSUPPORTED_VERSION
	resp.ApiKeys = versions.ApiKeys()
	return resp
}
