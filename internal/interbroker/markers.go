package interbroker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/txn"
)

// markerRequestTimeout bounds one WriteTxnMarkers request: the leader
// waits for its followers before it answers.
const markerRequestTimeout = 35 * time.Second

// MarkerWriter is txn.Markers over WriteTxnMarkers: it sends one request
// per partition leader (this node included, through its own inter-broker
// listener, so that every marker takes the same path) and retries the
// partitions whose leader moved or failed.
//
// Threading: safe for concurrent use (the coordinator writes the markers
// of different transactions at once); Close once, after the coordinator
// stopped.
type MarkerWriter struct {
	image  func() *metadata.Image
	dial   network.DialFunc
	logger *slog.Logger

	mu      sync.Mutex
	clients map[int32]*Client // by leader id
}

var _ txn.Markers = (*MarkerWriter)(nil)

// NewMarkerWriter finds leaders in image() and dials their inter-broker
// listeners with dial.
func NewMarkerWriter(image func() *metadata.Image, dial network.DialFunc, logger *slog.Logger) *MarkerWriter {
	return &MarkerWriter{image: image, dial: dial, logger: logger, clients: make(map[int32]*Client)}
}

func (m *MarkerWriter) client(b metadata.Broker) *Client {
	addr := net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.clients[b.ID]
	if c == nil || c.Addr() != addr {
		if c != nil {
			c.Close()
		}
		c = NewClientDial(addr, "samsa-txn-markers", m.dial)
		m.clients[b.ID] = c
	}
	return c
}

// Close closes every connection.
func (m *MarkerWriter) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, c := range m.clients {
		c.Close()
		delete(m.clients, id)
	}
}

// Write implements txn.Markers.
func (m *MarkerWriter) Write(ctx context.Context, pid int64, epoch int16, cepoch int32, commit bool,
	parts []txn.TopicPartition) error {
	backoff := 50 * time.Millisecond
	for {
		failed, lastErr := m.writeOnce(ctx, pid, epoch, cepoch, commit, parts)
		if len(failed) == 0 {
			return nil
		}
		parts = failed
		select {
		case <-ctx.Done():
			return fmt.Errorf("markers for producer %d: %w (last: %w)", pid, ctx.Err(), lastErr)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// writeOnce sends one request per leader and returns the partitions that
// failed.
func (m *MarkerWriter) writeOnce(ctx context.Context, pid int64, epoch int16, cepoch int32, commit bool,
	parts []txn.TopicPartition) ([]txn.TopicPartition, error) {
	im := m.image()
	byLeader := make(map[int32][]txn.TopicPartition)
	var failed []txn.TopicPartition
	var lastErr error
	for _, tp := range parts {
		pm, ok := im.PartitionOf(tp.Topic, tp.Partition)
		if !ok {
			continue // deleted: nothing to mark
		}
		if b, ok := im.Brokers[pm.Leader]; !ok || b.Fenced {
			failed, lastErr = append(failed, tp), fmt.Errorf("%s-%d has no live leader", tp.Topic, tp.Partition)
			continue
		}
		byLeader[pm.Leader] = append(byLeader[pm.Leader], tp)
	}
	for leader, tps := range byLeader {
		f, err := m.send(ctx, im.Brokers[leader], pid, epoch, cepoch, commit, tps)
		failed = append(failed, f...)
		if err != nil {
			lastErr = err
		}
	}
	return failed, lastErr
}

func (m *MarkerWriter) send(ctx context.Context, b metadata.Broker, pid int64, epoch int16, cepoch int32, commit bool,
	tps []txn.TopicPartition) ([]txn.TopicPartition, error) {
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.Version = 1
	mk := kmsg.NewWriteTxnMarkersRequestMarker()
	mk.ProducerID, mk.ProducerEpoch, mk.Committed, mk.CoordinatorEpoch = pid, epoch, commit, cepoch
	index := make(map[string]int)
	for _, tp := range tps {
		i, ok := index[tp.Topic]
		if !ok {
			i = len(mk.Topics)
			index[tp.Topic] = i
			t := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
			t.Topic = tp.Topic
			mk.Topics = append(mk.Topics, t)
		}
		mk.Topics[i].Partitions = append(mk.Topics[i].Partitions, tp.Partition)
	}
	req.Markers = append(req.Markers, mk)
	rctx, cancel := context.WithTimeout(ctx, markerRequestTimeout)
	defer cancel()
	r, err := m.client(b).Request(rctx, req)
	if err != nil {
		return tps, err
	}
	resp := r.(*kmsg.WriteTxnMarkersResponse)
	var failed []txn.TopicPartition
	var lastErr error
	for _, rm := range resp.Markers {
		for _, rt := range rm.Topics {
			for _, rp := range rt.Partitions {
				if rp.ErrorCode == 0 {
					continue
				}
				if rp.ErrorCode == kerr.InvalidProducerEpoch.Code {
					// The partition saw a newer epoch: a later marker
					// already ended this transaction there.
					continue
				}
				if rp.ErrorCode == kerr.TransactionCoordinatorFenced.Code {
					// A newer coordinator has written markers there: this
					// one lost the transaction, and retrying cannot help.
					m.logger.Warn("transaction marker refused: a newer coordinator owns the producer",
						"producer_id", pid, "topic", rt.Topic, "partition", rp.Partition, "coordinator_epoch", cepoch)
					continue
				}
				failed = append(failed, txn.TopicPartition{Topic: rt.Topic, Partition: rp.Partition})
				lastErr = fmt.Errorf("marker on %s-%d at node %d: %w", rt.Topic, rp.Partition, b.ID, kerr.ErrorForCode(rp.ErrorCode))
			}
		}
	}
	return failed, lastErr
}
