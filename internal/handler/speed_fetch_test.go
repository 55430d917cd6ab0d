package handler

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/protocol"
	"github.com/samsa-io/samsa/protocol/records"
)

// TestFetchOverListenerMatchesCopiedResponse: a Fetch answered through the
// network layer, whose record sets stay in the segment files until written
// (sendfile), is byte for byte the response the handler builds with the
// record sets copied in, for consumers and followers, several partitions,
// byte limits that cut between batches and a partition past the limit.
func TestFetchOverListenerMatchesCopiedResponse(t *testing.T) {
	followed := dpTopic("f", 2, 3, nil) // for follower fetches: 2 follows, outside the ISR
	for i := range followed.Partitions {
		followed.Partitions[i].Replicas = []int32{1, 2}
	}
	dp := newDataPath(t, dpTopic("t", 1, 3, nil), followed)
	for i := range 30 {
		dp.mustProduce("t", int32(i%3), plainBatch(t, 1+i%5, int64(1000+i)))
		dp.mustProduce("f", int32(i%3), plainBatch(t, 1+i%5, int64(1000+i)))
	}
	// Batches of 40 KiB make the large reads go out with sendfile (small
	// record sets are copied into the response buffer instead).
	recs := make([]records.Record, 40)
	for i := range recs {
		recs[i] = records.Record{OffsetDelta: int32(i), Value: bytes.Repeat([]byte{byte(i)}, 1000)}
	}
	big, err := records.AppendBatch(nil, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		BaseTimestamp: 5000, MaxTimestamp: 5000}, recs, records.None)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		dp.mustProduce("t", int32(i%2), append([]byte(nil), big...))
		dp.mustProduce("f", int32(i%2), append([]byte(nil), big...))
	}
	l, err := network.Listen(network.Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: 1 << 20,
		Versions: dp.h.Versions(), Handler: dp.h, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	for _, v := range []int16{4, 11, 12, 13, 16} {
		for _, maxBytes := range []int32{1, 300, 1000, 50000, 1 << 20} {
			for _, replica := range []int32{-1, 2} {
				topic, id := "t", [16]byte{0xD0, 1}
				if replica >= 0 {
					topic, id = "f", [16]byte{0xD0, 2}
				}
				parts := []fetchPart{{topic: topic, part: 0, offset: 0, maxBytes: maxBytes, epoch: -1},
					{topic: topic, part: 1, offset: 3, maxBytes: maxBytes, epoch: -1},
					{topic: topic, part: 2, offset: 200, maxBytes: maxBytes, epoch: -1}} // beyond the end
				if v >= 13 {
					for i := range parts {
						parts[i].topic, parts[i].id = "", id
					}
				}
				req := fetchReq(v, 0, 0, 2*maxBytes, parts...)
				if replica >= 0 {
					req.ReplicaID, req.ReplicaState.ID = replica, replica
				}
				resp := dp.fetch(context.Background(), req)
				if sp := resp.Topics[0].Partitions[1]; sp.ErrorCode != 0 || (maxBytes == 1<<20 && len(sp.RecordBatches) == 0) {
					t.Fatalf("v%d replica %d: partition 1 answered error %d with %d record bytes",
						v, replica, sp.ErrorCode, len(sp.RecordBatches))
				}
				want := protocol.AppendResponse(nil, 5, resp)
				got := fetchFrame(t, c, req, 5)
				if !bytes.Equal(got, want) {
					t.Fatalf("v%d maxBytes %d replica %d: %d bytes over the listener, %d copied",
						v, maxBytes, replica, len(got), len(want))
				}
			}
		}
	}
}

// fetchFrame sends req over c and returns the whole response frame.
func fetchFrame(t *testing.T, c net.Conn, req *kmsg.FetchRequest, corr int32) []byte {
	t.Helper()
	if _, err := c.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, corr)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	frame := make([]byte, 4)
	if _, err := io.ReadFull(c, frame); err != nil {
		t.Fatal(err)
	}
	frame = append(frame, make([]byte, binary.BigEndian.Uint32(frame))...)
	if _, err := io.ReadFull(c, frame[4:]); err != nil {
		t.Fatal(err)
	}
	return frame
}
