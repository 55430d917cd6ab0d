package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrFrameTooLarge is returned when a peer announces a frame larger than the
// configured limit (socket.request.max.bytes). The connection must be closed:
// the rest of the stream cannot be resynchronised.
var ErrFrameTooLarge = errors.New("protocol: frame exceeds limit")

// ErrBadFrameSize is returned for a negative or too-small size prefix.
var ErrBadFrameSize = errors.New("protocol: invalid frame size")

// minRequestSize is the smallest valid request: api key, version and
// correlation id (2+2+4) plus a null client id (2).
const minRequestSize = 10

// frameGrowStep is the least ReadFrame grows a frame's buffer by. The
// buffer grows with the bytes that arrive (at most doubling), so a peer
// that announces a large frame and sends it slowly, or never, makes the
// reader hold about what it sent rather than what it announced.
const frameGrowStep = 64 << 10

// ReadFrame reads one size-prefixed frame. The size is checked against
// maxSize before anything is allocated. buf is reused when it is large
// enough; the returned slice aliases it.
func ReadFrame(r io.Reader, maxSize int32, buf []byte) ([]byte, error) {
	var sizeBuf [4]byte
	if _, err := io.ReadFull(r, sizeBuf[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
	if size < minRequestSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadFrameSize, size)
	}
	if size > maxSize {
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrFrameTooLarge, size, maxSize)
	}
	buf = buf[:0]
	for len(buf) < int(size) {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(int(size)-len(buf), max(len(buf), frameGrowStep)))
		}
		end := min(int(size), cap(buf))
		if _, err := io.ReadFull(r, buf[len(buf):end]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		buf = buf[:end]
	}
	return buf, nil
}
