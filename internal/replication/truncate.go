package replication

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// offsetForLeaderEpochVersion is v3: the first with ReplicaID.
const offsetForLeaderEpochVersion = 3

// maxTruncationRounds bounds the OffsetForLeaderEpoch rounds per call;
// a partition not done by then continues on the next loop iteration.
const maxTruncationRounds = 4

// truncate brings every partition that met a new leader epoch in line
// with the leader's log (Kafka's KIP-101/279 rules):
//
//   - ask the leader for the end of our latest epoch E;
//   - the leader answers the largest epoch E' <= E it has and where E'
//     ends there;
//   - if we have E', truncate to min(its end here, its end there) and
//     we are done; if our latest epoch below E' is some other epoch, cut
//     to where our copy of E' would end and ask again;
//   - if the leader knows no epoch that old, fall back to our high
//     watermark, the only point known to be committed.
func (f *fetcher) truncate(ctx context.Context, parts []*followed) error {
	for round := 0; round < maxTruncationRounds; round++ {
		var todo []*followed
		for _, fl := range parts {
			if fl.truncated || fl.backoffUntil.After(time.Now()) { // errored in an earlier round
				continue
			}
			if fl.p.LatestEpoch() < 0 { // an empty log (or no epochs): nothing to cut
				fl.truncated = true
				continue
			}
			todo = append(todo, fl)
		}
		if len(todo) == 0 {
			return nil
		}
		if err := f.truncateRound(ctx, todo); err != nil {
			return err
		}
	}
	return nil
}

func (f *fetcher) truncateRound(ctx context.Context, todo []*followed) error {
	names, groups := byTopic(todo)
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.SetVersion(offsetForLeaderEpochVersion)
	req.ReplicaID = f.cfg.NodeID
	for _, name := range names {
		rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
		rt.Topic = name
		for _, fl := range groups[name] {
			rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
			rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = fl.tp.Partition, fl.leaderEpoch, fl.p.LatestEpoch()
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	rctx, cancel := context.WithTimeout(ctx, f.cfg.requestTimeout())
	defer cancel()
	r, err := f.client.Request(rctx, req)
	if err != nil {
		return err
	}
	for _, rt := range r.(*kmsg.OffsetForLeaderEpochResponse).Topics {
		for _, rp := range rt.Partitions {
			fl := find(groups, rt.Topic, rp.Partition)
			if fl == nil || !f.current(fl) {
				continue
			}
			if rp.ErrorCode != 0 {
				f.partitionBackoff(fl, rp.ErrorCode)
				continue
			}
			f.truncateTo(fl, rp.LeaderEpoch, rp.EndOffset)
		}
	}
	return nil
}

// truncateTo applies one OffsetForLeaderEpoch answer.
func (f *fetcher) truncateTo(fl *followed, leaderEpoch int32, leaderEnd int64) {
	p := fl.p
	leo := p.LogEndOffset()
	target, done := leo, true
	switch ourEpoch, ourEnd := p.EndOffsetForEpoch(leaderEpoch); {
	case leaderEpoch < 0 || leaderEnd < 0:
		target = p.HighWatermark()
	case ourEpoch < 0:
		target = min(leaderEnd, leo)
	case ourEpoch != leaderEpoch:
		target, done = ourEnd, false
	default:
		target = min(leaderEnd, ourEnd)
	}
	if target < leo {
		f.logger.Info("truncating by leader epoch", "topic", fl.tp.Topic, "partition", fl.tp.Partition,
			"log_end_offset", leo, "truncate_to", target, "leader_epoch", leaderEpoch, "leader_end_offset", leaderEnd)
		if err := p.TruncateTo(fl.leaderEpoch, target); err != nil {
			f.localError(fl, fmt.Errorf("truncate: %w", err))
			return
		}
	}
	fl.truncated = done
}
