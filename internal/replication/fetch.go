package replication

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol/records"
)

// fetchVersion is the Fetch version followers send: v12 carries ReplicaID
// and CurrentLeaderEpoch and names topics (v13+ uses topic IDs).
const fetchVersion = 12

// fetch sends one Fetch for parts (all truncated) and applies the answer.
func (f *fetcher) fetch(ctx context.Context, parts []*followed) error {
	var ready []*followed
	for _, fl := range parts {
		if fl.truncated {
			ready = append(ready, fl)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	names, groups := byTopic(ready)
	req := f.fetchRequest(names, groups)
	rctx, cancel := context.WithTimeout(ctx, f.cfg.maxWait()+f.cfg.requestTimeout())
	defer cancel()
	r, err := f.client.Request(rctx, req)
	if err != nil {
		return err
	}
	resp := r.(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 {
		return fmt.Errorf("fetch from broker %d: %w", f.source, kerr.ErrorForCode(resp.ErrorCode))
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if fl := find(groups, rt.Topic, rp.Partition); fl != nil && f.current(fl) {
				f.applyFetched(fl, rp)
			}
		}
	}
	return nil
}

func (f *fetcher) fetchRequest(names []string, groups map[string][]*followed) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(fetchVersion)
	req.ReplicaID = f.cfg.NodeID
	req.ReplicaState.ID = f.cfg.NodeID
	req.MaxWaitMillis = int32(f.cfg.maxWait() / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = f.cfg.maxBytes()
	req.SessionEpoch = -1
	for _, name := range names {
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = name
		for _, fl := range groups[name] {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition = fl.tp.Partition
			rp.CurrentLeaderEpoch = fl.leaderEpoch
			rp.FetchOffset = fl.p.LogEndOffset()
			rp.LastFetchedEpoch = -1
			rp.LogStartOffset = fl.p.LogStartOffset()
			rp.PartitionMaxBytes = f.cfg.partitionMaxBytes()
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// applyFetched appends one partition's batches and adopts the leader's
// high watermark, or reacts to its error.
func (f *fetcher) applyFetched(fl *followed, rp kmsg.FetchResponseTopicPartition) {
	switch rp.ErrorCode {
	case 0:
	case kerr.OffsetOutOfRange.Code:
		f.outOfRange(fl, rp.LogStartOffset)
		return
	default:
		f.partitionBackoff(fl, rp.ErrorCode)
		return
	}
	if batches := wholeBatchesFrom(rp.RecordBatches, fl.p.LogEndOffset()); len(batches) > 0 {
		if _, err := fl.p.AppendAsFollower(fl.leaderEpoch, batches); err != nil {
			f.localError(fl, err)
			return
		}
	}
	fl.p.UpdateFollowerHighWatermark(rp.HighWatermark)
	// Follow the leader's log start (DeleteRecords, retention) up to our
	// high watermark, so a later leader does not serve deleted records.
	if start := min(rp.LogStartOffset, fl.p.HighWatermark()); start > fl.p.LogStartOffset() {
		if _, err := fl.p.DeleteRecordsBefore(start); err != nil {
			f.logger.Warn("advance log start", "topic", fl.tp.Topic, "partition", fl.tp.Partition, "err", err)
		}
	}
}

// outOfRange handles OFFSET_OUT_OF_RANGE: behind the leader's log start,
// restart the log there; otherwise this log is ahead of the leader's and
// must be truncated by leader epoch again.
func (f *fetcher) outOfRange(fl *followed, leaderStart int64) {
	if leaderStart >= 0 && fl.p.LogEndOffset() < leaderStart {
		f.logger.Info("follower behind the leader's log start; restarting the log", "topic", fl.tp.Topic,
			"partition", fl.tp.Partition, "log_start_offset", leaderStart)
		if err := fl.p.TruncateFullyAndStartAt(fl.leaderEpoch, leaderStart); err != nil {
			f.localError(fl, err)
		}
		return
	}
	fl.truncated = false
}

// wholeBatchesFrom returns the complete batches of b that end at or after
// from (a leader may send a batch we already have, or cut the last one).
func wholeBatchesFrom(b []byte, from int64) []byte {
	start, end := -1, 0
	for pos := 0; pos < len(b); {
		batch, _, err := records.Next(b[pos:])
		if err != nil {
			break
		}
		h, err := records.ParseHeader(batch)
		if err != nil {
			break
		}
		if h.LastOffset() >= from && start < 0 {
			start = pos
		}
		pos += len(batch)
		end = pos
	}
	if start < 0 {
		return nil
	}
	return b[start:end]
}
