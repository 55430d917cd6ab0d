package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// PlantedValue is the value of the acknowledged send the test-only planted
// bug records without producing it.
const PlantedValue = "planted-lost-write"

// plantedProcess is the process the planted send is attributed to, one no
// real producer uses, so it adds no non-monotonic send.
const plantedProcess = -2

// QueueConfig configures the queue workload.
type QueueConfig struct {
	Bootstrap  []string
	Topic      string
	Partitions int32
	// ReplicationFactor -1 takes the broker's default.replication.factor
	// and min.insync.replicas; otherwise min.insync.replicas is
	// min(2, ReplicationFactor).
	ReplicationFactor int16
	Producers         int
	// Consumers assign themselves every partition.
	Consumers int
	// GroupConsumers subscribe to the topic in one consumer group.
	GroupConsumers int
	// Rate is the total sends per second over all producers.
	Rate     int
	Duration time.Duration
	// PlantLostWrite records one acknowledged send that was never
	// produced: a test-only bug the checker must report as lost.
	PlantLostWrite bool
	Log            *slog.Logger
}

// Faults is what the queue workload runs beside itself: a nemesis, or
// nothing.
type Faults interface {
	// Run injects faults until ctx is done.
	Run(ctx context.Context)
	// Heal undoes every fault still in effect and waits until the cluster
	// serves again.
	Heal(ctx context.Context) error
}

// Phase bounds of the workload's non-faulted parts.
const (
	setupTimeout      = 60 * time.Second
	drainTimeout      = 30 * time.Second
	finalPollTimeout  = 90 * time.Second
	maxInFlight       = 64
	leaveGroupTimeout = 5 * time.Second
)

// RunQueue runs the queue workload, recording every operation in hist:
// producers and assign consumers for cfg.Duration while faults (if not nil)
// run, then faults healed and the final catch-up poll.
func RunQueue(ctx context.Context, cfg QueueConfig, hist *HistoryWriter, faults Faults) error {
	start := time.Now()
	since := func() int64 { return int64(time.Since(start)) }
	if err := createTopic(ctx, cfg); err != nil {
		return err
	}
	cfg.Log.Info("topic ready; workload starts", "topic", cfg.Topic, "after", time.Since(start))

	runCtx, stopRun := context.WithTimeout(ctx, cfg.Duration)
	defer stopRun()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Producers+cfg.Consumers+cfg.GroupConsumers)
	for i := range cfg.Producers {
		wg.Add(1)
		go func() { // owned by RunQueue: ends when runCtx is done and its sends drained
			defer wg.Done()
			errs <- produce(runCtx, cfg, i+1, hist, since)
		}()
	}
	for i := range cfg.Consumers {
		wg.Add(1)
		go func() { // owned by RunQueue: ends when runCtx is done
			defer wg.Done()
			errs <- consume(runCtx, cfg, 1001+i, hist, since)
		}()
	}
	for i := range cfg.GroupConsumers {
		wg.Add(1)
		go func() { // owned by RunQueue: ends when runCtx is done
			defer wg.Done()
			errs <- consumeInGroup(runCtx, cfg, groupProcessBase+i*groupProcessStride, hist, since)
		}()
	}
	if faults != nil {
		wg.Add(1)
		go func() { // owned by RunQueue: ends when runCtx is done
			defer wg.Done()
			faults.Run(runCtx)
		}()
	}
	wg.Wait()
	close(errs)
	cfg.Log.Info("workload stopped", "after", time.Since(start))
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	if err := errors.Join(all...); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("verify interrupted: %w", ctx.Err())
	}
	if faults != nil {
		healCtx, cancel := context.WithTimeout(ctx, setupTimeout)
		err := faults.Heal(healCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("heal faults: %w", err)
		}
	}
	err := finalPoll(ctx, cfg, hist, since)
	cfg.Log.Info("final poll done", "after", time.Since(start))
	return err
}

func createTopic(ctx context.Context, cfg QueueConfig) error {
	// kgo answers a Metadata request from its cache for MetadataMinAge
	// (5 s by default); polling for the new topic's leaders needs fresh
	// answers.
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Bootstrap...), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	var configs map[string]*string
	if cfg.ReplicationFactor > 0 {
		minISR := strconv.Itoa(min(2, int(cfg.ReplicationFactor)))
		configs = map[string]*string{"min.insync.replicas": &minISR}
	}
	for {
		_, err := adm.CreateTopic(ctx, cfg.Partitions, cfg.ReplicationFactor, configs, cfg.Topic)
		if err == nil || errors.Is(err, kerr.TopicAlreadyExists) {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("create topic %s: %w", cfg.Topic, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for {
		md, err := adm.Metadata(ctx, cfg.Topic)
		if err == nil {
			ready := 0
			for _, p := range md.Topics[cfg.Topic].Partitions {
				if p.Err == nil && p.Leader >= 0 {
					ready++
				}
			}
			if ready == int(cfg.Partitions) {
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("topic %s has no leader for every partition: %w", cfg.Topic, ctx.Err())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// produce sends unique values round-robin over the partitions at the
// producer's share of cfg.Rate, with at most maxInFlight unacknowledged.
func produce(ctx context.Context, cfg QueueConfig, process int, hist *HistoryWriter, since func() int64) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(20*time.Second))
	if err != nil {
		return fmt.Errorf("producer %d: new client: %w", process, err)
	}
	inFlight := make(chan struct{}, maxInFlight)
	var pending sync.WaitGroup
	var plant sync.Once
	tick := time.NewTicker(time.Duration(int64(time.Second) * int64(cfg.Producers) / int64(max(cfg.Rate, 1))))
	defer tick.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case inFlight <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		p := int32(seq % int(cfg.Partitions))
		value := fmt.Sprintf("p%d-%d", process, seq)
		hist.Record(Op{Process: process, Type: TypeInvoke, F: FuncSend, Partition: p, Offset: -1, Value: value, Time: since()})
		pending.Add(1)
		// The records' context is not ctx: the end of the run stops new
		// sends but lets those in flight finish (or time out).
		cl.Produce(context.Background(), &kgo.Record{Partition: p, Value: []byte(value)}, func(r *kgo.Record, err error) {
			defer pending.Done()
			defer func() { <-inFlight }()
			if err != nil {
				hist.Record(Op{Process: process, Type: TypeInfo, F: FuncSend, Partition: p, Offset: -1, Value: value, Time: since(), Error: err.Error()})
				return
			}
			hist.Record(Op{Process: process, Type: TypeOK, F: FuncSend, Partition: r.Partition, Offset: r.Offset, Value: value, Time: since()})
			if cfg.PlantLostWrite && process == 1 {
				plant.Do(func() {
					planted := Op{Process: plantedProcess, F: FuncSend, Partition: r.Partition, Offset: r.Offset, Value: PlantedValue, Time: since()}
					planted.Type, planted.Offset = TypeInvoke, -1
					hist.Record(planted)
					planted.Type, planted.Offset = TypeOK, r.Offset
					hist.Record(planted)
				})
			}
		})
	}
	flushCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := cl.Flush(flushCtx); err != nil {
		cfg.Log.Warn("producer flush did not finish; the rest are indeterminate", "producer", process, "err", err)
	}
	cl.Close() // fails whatever is still buffered, calling its callbacks
	pending.Wait()
	return nil
}

// consume reads every partition from its start with assign, recording each
// record read.
func consume(ctx context.Context, cfg QueueConfig, process int, hist *HistoryWriter, since func() int64) error {
	assign := map[int32]kgo.Offset{}
	for p := range cfg.Partitions {
		assign[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cfg.Topic: assign}),
		kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		return fmt.Errorf("consumer %d: new client: %w", process, err)
	}
	defer cl.Close()
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachRecord(func(r *kgo.Record) {
			hist.Record(Op{Process: process, Type: TypeOK, F: FuncPoll, Partition: r.Partition, Offset: r.Offset, Value: string(r.Value), Time: since()})
		})
	}
	return nil
}

// finalPoll reads every partition from its start to the end offset it has
// once the faults are healed, then records how far it reached.
func finalPoll(ctx context.Context, cfg QueueConfig, hist *HistoryWriter, since func() int64) error {
	ctx, cancel := context.WithTimeout(ctx, finalPollTimeout)
	defer cancel()
	admCl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Bootstrap...))
	if err != nil {
		return fmt.Errorf("final poll: new client: %w", err)
	}
	defer admCl.Close()
	var ends kadm.ListedOffsets
	for {
		ends, err = kadm.NewClient(admCl).ListEndOffsets(ctx, cfg.Topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil && len(ends[cfg.Topic]) == int(cfg.Partitions) {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("final poll: list end offsets: %w", errors.Join(err, ctx.Err()))
		}
		time.Sleep(500 * time.Millisecond)
	}
	assign := map[int32]kgo.Offset{}
	next := map[int32]int64{}
	remaining := 0
	for p, o := range ends[cfg.Topic] {
		assign[p] = kgo.NewOffset().AtStart()
		next[p] = 0
		if o.Offset > 0 {
			remaining++
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cfg.Topic: assign}),
		kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		return fmt.Errorf("final poll: new client: %w", err)
	}
	defer cl.Close()
	for remaining > 0 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			hist.Record(Op{Type: TypeOK, F: FuncPoll, Partition: r.Partition, Offset: r.Offset, Value: string(r.Value), Time: since(), Final: true})
			end := ends[cfg.Topic][r.Partition].Offset
			if next[r.Partition] < end && r.Offset+1 >= end {
				remaining--
			}
			next[r.Partition] = max(next[r.Partition], r.Offset+1)
		})
	}
	for p := range cfg.Partitions {
		hist.Record(Op{Type: TypeOK, F: FuncReach, Partition: p, Offset: next[p], Time: since(), Final: true})
	}
	if remaining > 0 {
		return fmt.Errorf("final poll: %d partitions not read to their end within %s", remaining, finalPollTimeout)
	}
	return nil
}

// A group consumer's process is groupProcessBase + its index *
// groupProcessStride + the number of assignments it has had: a consumer
// that is given a partition again resumes from the group's committed
// offset, which may be below what it read before, so polls are expected to
// be monotonic only within one assignment.
const (
	groupProcessBase   = 100000
	groupProcessStride = 10000
)

// consumeInGroup reads the topic as a member of the group verify-<topic>,
// recording each record read under a process that changes with each
// assignment.
func consumeInGroup(ctx context.Context, cfg QueueConfig, base int, hist *HistoryWriter, since func() int64) error {
	// Counted by kgo's rebalance goroutine. BlockRebalanceOnPoll keeps
	// rebalances out of the span from PollFetches returning to
	// AllowRebalance, so the records of one poll belong to one assignment.
	var assignments atomic.Int64
	onChange := func(context.Context, *kgo.Client, map[string][]int32) { assignments.Add(1) }
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ConsumerGroup("verify-"+cfg.Topic),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		// Bounds how long Close waits on a coordinator that never
		// answers; the group loop itself keeps retrying while it runs.
		kgo.RetryTimeout(leaveGroupTimeout),
		kgo.OnPartitionsAssigned(onChange),
		kgo.OnPartitionsRevoked(onChange),
		kgo.OnPartitionsLost(onChange),
		kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		return fmt.Errorf("group consumer %d: new client: %w", base, err)
	}
	defer func() {
		// Close alone waits for the group to be left, which can take
		// as long as kgo's retries when no coordinator answers.
		leaveCtx, cancel := context.WithTimeout(context.Background(), leaveGroupTimeout)
		defer cancel()
		cl.AllowRebalance()
		if err := cl.LeaveGroupContext(leaveCtx); err != nil {
			cfg.Log.Warn("group consumer did not leave its group cleanly", "process", base, "err", err)
		}
		cl.Close()
	}()
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		process := base + int(assignments.Load()%groupProcessStride)
		fetches.EachRecord(func(r *kgo.Record) {
			hist.Record(Op{Process: process, Type: TypeOK, F: FuncPoll, Partition: r.Partition, Offset: r.Offset, Value: string(r.Value), Time: since()})
		})
		cl.AllowRebalance()
	}
	return nil
}
