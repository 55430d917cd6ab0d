package records

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// MaxDecompressedSize bounds the decompressed size of one batch, so a small
// hostile batch cannot make the broker allocate without limit.
const MaxDecompressedSize = 256 << 20

// xerialMagic opens the snappy framing used by the Java client.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// zstdCodec holds a shared decoder and encoder; both are safe for concurrent
// DecodeAll/EncodeAll calls and hold no state between calls.
var zstdCodec = sync.OnceValues(func() (*zstd.Decoder, *zstd.Encoder) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxDecompressedSize))
	if err != nil {
		panic(fmt.Sprintf("records: zstd decoder: %v", err)) // only fails on bad options
	}
	e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(fmt.Sprintf("records: zstd encoder: %v", err))
	}
	return d, e
})

// Decompress returns the decompressed records section of a batch.
func Decompress(c Codec, data []byte) ([]byte, error) {
	var out []byte
	var err error
	switch c {
	case None:
		return data, nil
	case Gzip:
		out, err = gunzip(data)
	case Snappy:
		out, err = unsnappy(data)
	case LZ4:
		out, err = readLimited(lz4.NewReader(bytes.NewReader(data)))
	case Zstd:
		dec, _ := zstdCodec()
		out, err = dec.DecodeAll(data, nil)
	default:
		return nil, fmt.Errorf("decompress: unknown %v: %w", c, ErrInvalidRecord)
	}
	if err != nil {
		return nil, fmt.Errorf("decompress %v: %w: %w", c, ErrInvalidRecord, err)
	}
	return out, nil
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return readLimited(zr)
}

func readLimited(r io.Reader) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, MaxDecompressedSize+1))
	if err != nil {
		return nil, err
	}
	if len(out) > MaxDecompressedSize {
		return nil, fmt.Errorf("more than %d bytes decompressed", MaxDecompressedSize)
	}
	return out, nil
}

// unsnappy decodes either a raw snappy block or the xerial framing
// (16-byte header, then chunks each prefixed by a big-endian int32 length).
func unsnappy(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, xerialMagic) {
		return decodeSnappyBlock(nil, data)
	}
	if len(data) < 16 {
		return nil, fmt.Errorf("xerial header of %d bytes", len(data))
	}
	var out []byte
	for rest := data[16:]; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, fmt.Errorf("xerial chunk length torn")
		}
		n := int(be.Uint32(rest))
		rest = rest[4:]
		if n < 0 || n > len(rest) {
			return nil, fmt.Errorf("xerial chunk of %d bytes, %d left", n, len(rest))
		}
		var err error
		if out, err = decodeSnappyBlock(out, rest[:n]); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// decodeSnappyBlock appends the decoding of one raw snappy block to dst.
func decodeSnappyBlock(dst, block []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return nil, err
	}
	if n < 0 || len(dst)+n > MaxDecompressedSize {
		return nil, fmt.Errorf("snappy block of %d bytes", n)
	}
	out := append(dst, make([]byte, n)...)
	if _, err := snappy.Decode(out[len(dst):], block); err != nil {
		return nil, err
	}
	return out, nil
}

// Compress appends the compression of data with codec c to dst. Snappy uses
// a raw block, which every client reads.
func Compress(dst []byte, c Codec, data []byte) ([]byte, error) {
	switch c {
	case None:
		return append(dst, data...), nil
	case Gzip:
		return writeWith(dst, data, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
	case Snappy:
		return append(dst, snappy.Encode(nil, data)...), nil
	case LZ4:
		return writeWith(dst, data, func(w io.Writer) io.WriteCloser { return lz4.NewWriter(w) })
	case Zstd:
		_, enc := zstdCodec()
		return enc.EncodeAll(data, dst), nil
	}
	return nil, fmt.Errorf("compress: unknown %v: %w", c, ErrInvalidRecord)
}

func writeWith(dst, data []byte, open func(io.Writer) io.WriteCloser) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w := open(buf)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
