package topiclog

import (
	"context"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/txn"
)

// Offsets is __consumer_offsets as the group coordinator's log
// (group.Log and group.TxnLog): offset commits and group metadata, and on
// replay the markers that end transactional offset commits.
func Offsets(parts *partition.Manager) *Log[group.Record] {
	return &Log[group.Record]{Topic: group.OffsetsTopic, Parts: parts, NotHosted: group.ErrNotCoordinator,
		Fenced: group.ErrProducerFenced, Codec: Codec[group.Record]{
			Encode: func(r group.Record) ([]byte, []byte) { return r.Key, r.Value },
			Decode: func(e Entry) (group.Record, bool) {
				r := group.Record{Key: e.Key, Value: e.Value, Txn: e.Txn, ProducerID: e.ProducerID}
				switch e.Marker {
				case CommitMarker:
					r.Marker = group.CommitMarker
				case AbortMarker:
					r.Marker = group.AbortMarker
				}
				return r, true
			},
		}}
}

// TxnState is __transaction_state as the transaction coordinator's log
// (txn.Log). Its partitions hold no transactions, so a replay has no
// markers to pass on. hook is Log.Hook (nil in production).
func TxnState(parts *partition.Manager, hook func(ctx context.Context, recs []txn.Record, appended bool) error) *Log[txn.Record] {
	return &Log[txn.Record]{Topic: txn.StateTopic, Parts: parts, NotHosted: txn.ErrNotCoordinator, Hook: hook,
		Codec: Codec[txn.Record]{
			Encode: func(r txn.Record) ([]byte, []byte) { return r.Key, r.Value },
			Decode: func(e Entry) (txn.Record, bool) {
				return txn.Record{Key: e.Key, Value: e.Value}, e.Marker == NoMarker
			},
		}}
}

var (
	_ group.Log    = (*Log[group.Record])(nil)
	_ group.TxnLog = (*Log[group.Record])(nil)
	_ txn.Log      = (*Log[txn.Record])(nil)
)

// Leadership follows the metadata image for a coordinator: at every image
// it passes Set the partitions of Topic that this node leads and hosts,
// with their leader epochs (a new epoch means the coordinator reloads the
// partition, and for transactions is the coordinator epoch of the markers
// it writes). It is a metadata.Listener that must come after the
// partition manager in the pipeline, so that "hosts" sees this image.
type Leadership struct {
	Topic  string
	NodeID int32
	Parts  *partition.Manager
	Set    func(led map[int32]int32) // the coordinator's SetLeaders
}

// ApplyMetadata implements metadata.Listener.
func (l Leadership) ApplyMetadata(_ context.Context, im *metadata.Image) error {
	led := make(map[int32]int32)
	if t, ok := im.Topic(l.Topic); ok {
		for _, p := range t.Partitions {
			if p.Leader == l.NodeID && l.Parts.Partition(t.Name, p.Index) != nil {
				led[p.Index] = p.LeaderEpoch
			}
		}
	}
	l.Set(led)
	return nil
}
