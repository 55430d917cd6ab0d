package network

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// produceHandler answers every request with an empty Produce response.
type produceHandler struct{}

func (produceHandler) Handle(_ context.Context, req *protocol.Request) kmsg.Response {
	return kmsg.NewPtrProduceResponse()
}

// BenchmarkProduce1MiB measures a connection's request path (frame read,
// parse, answer) for Produce requests carrying a 1 MiB record batch, one
// at a time and pipelined, over loopback TCP.
func BenchmarkProduce1MiB(b *testing.B) {
	vs := protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.Produce), Min: 3, Max: 9}})
	l, err := Listen(Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: 8 << 20,
		Versions: vs, Handler: produceHandler{}})
	if err != nil {
		b.Fatal(err)
	}
	l.Serve()
	defer l.Close()

	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(9)
	req.Acks, req.TimeoutMillis = 1, 30000
	topic := kmsg.NewProduceRequestTopic()
	topic.Topic = "t"
	part := kmsg.NewProduceRequestTopicPartition()
	part.Records = make([]byte, 1<<20)
	topic.Partitions = append(topic.Partitions, part)
	req.Topics = append(req.Topics, topic)
	frame := kmsg.NewRequestFormatter().AppendRequest(nil, req, 1)

	for _, depth := range []int{1, 4} {
		name := "serial"
		if depth > 1 {
			name = "pipelined4"
		}
		b.Run(name, func(b *testing.B) {
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			readOne := func() {
				var size [4]byte
				if _, err := io.ReadFull(r, size[:]); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Discard(int(binary.BigEndian.Uint32(size[:]))); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			sent, got := 0, 0
			for got < b.N {
				for sent < b.N && sent-got < depth {
					if _, err := c.Write(frame); err != nil {
						b.Fatal(err)
					}
					sent++
				}
				readOne()
				got++
			}
		})
	}
}
