package lifecycle

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/partition"
)

// forwardISR sends the ISR changes hosted leaders propose to the active
// controller, one AlterPartition each, and tells a partition when the
// controller refused its proposal for good.
func (b *Broker) forwardISR(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ch := <-b.isrCh:
			err := b.alterPartition(ctx, ch)
			if err == nil || ctx.Err() != nil {
				continue
			}
			b.deps.Logger.Warn("alter partition", "topic", ch.Topic, "partition", ch.Partition, "isr", ch.ISR, "err", err)
			if refusedISRChange(err) {
				if p := b.deps.Partitions.Partition(ch.Topic, ch.Partition); p != nil {
					p.ISRChangeRefused(ch)
				}
			}
		}
	}
}

// refusedISRChange reports whether err is the controller's verdict that a
// proposed ISR will never commit. Anything else (a transport error, a
// timeout, a controller change) may still commit it, so the proposal stays
// pending and the ISR check asks again once it has waited long enough.
func refusedISRChange(err error) bool {
	for _, e := range []*kerr.Error{kerr.IneligibleReplica, kerr.FencedLeaderEpoch, kerr.InvalidUpdateVersion,
		kerr.NotLeaderForPartition, kerr.InvalidRequest, kerr.UnknownTopicOrPartition, kerr.UnknownTopicID} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (b *Broker) alterPartition(ctx context.Context, ch partition.ISRChange) error {
	req := kmsg.NewPtrAlterPartitionRequest()
	req.SetVersion(2)
	req.BrokerID, req.BrokerEpoch = b.deps.Config.NodeID, b.deps.Registrar.Epoch()
	rt := kmsg.NewAlterPartitionRequestTopic()
	rt.TopicID = ch.TopicID
	rp := kmsg.NewAlterPartitionRequestTopicPartition()
	rp.Partition, rp.LeaderEpoch, rp.PartitionEpoch, rp.NewISR = ch.Partition, ch.LeaderEpoch, ch.PartitionEpoch, ch.ISR
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	r, err := b.deps.Link.Send(ctx, req)
	if err != nil {
		return err
	}
	resp := r.(*kmsg.AlterPartitionResponse)
	if resp.ErrorCode != 0 {
		return kerr.ErrorForCode(resp.ErrorCode)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return kerr.ErrorForCode(p.ErrorCode)
			}
		}
	}
	return nil
}
