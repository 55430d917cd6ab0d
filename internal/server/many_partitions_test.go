package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// busyClient keeps producing to one topic and asking ApiVersions and
// Metadata, each request bounded by requestTimeout, until stopped. It
// records the first failure and the worst latency of each kind.
type busyClient struct {
	cl    *kgo.Client
	topic string
	stop  context.CancelFunc
	done  chan struct{}

	mu     sync.Mutex
	worst  map[string]time.Duration
	counts map[string]int
	errs   []error
}

// requestTimeout is how long the busy client waits for any one answer: a
// client's request timeout, far longer than a healthy broker needs even on
// a loaded machine, far shorter than the stall the test guards against.
const requestTimeout = 15 * time.Second

func startBusyClient(t *testing.T, addr, topic string) *busyClient {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.ProduceRequestTimeout(requestTimeout), kgo.RecordDeliveryTimeout(requestTimeout))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bc := &busyClient{cl: cl, topic: topic, stop: cancel, done: make(chan struct{}),
		worst: map[string]time.Duration{}, counts: map[string]int{}}
	go bc.run(ctx)
	return bc
}

func (bc *busyClient) run(ctx context.Context) {
	defer close(bc.done)
	defer bc.cl.Close()
	for i := 0; ctx.Err() == nil; i++ {
		bc.timed(ctx, "produce", func(rctx context.Context) error {
			return bc.cl.ProduceSync(rctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}).FirstErr()
		})
		bc.timed(ctx, "api_versions", func(rctx context.Context) error {
			resp, err := bc.cl.Request(rctx, kmsg.NewPtrApiVersionsRequest())
			if err != nil {
				return err
			}
			return kerr.ErrorForCode(resp.(*kmsg.ApiVersionsResponse).ErrorCode)
		})
		bc.timed(ctx, "metadata", func(rctx context.Context) error {
			req := kmsg.NewPtrMetadataRequest()
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(bc.topic)
			req.Topics = append(req.Topics, rt)
			resp, err := bc.cl.Request(rctx, req)
			if err != nil {
				return err
			}
			return kerr.ErrorForCode(resp.(*kmsg.MetadataResponse).Topics[0].ErrorCode)
		})
	}
}

// timed runs one request with its own timeout; being stopped is not a
// failure, a timeout or an error answer is.
func (bc *busyClient) timed(ctx context.Context, kind string, req func(context.Context) error) {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	start := time.Now()
	err := req(rctx)
	took := time.Since(start)
	if ctx.Err() != nil {
		return
	}
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if err == nil && took > requestTimeout {
		err = errors.New("answered after the request timeout") // kgo lets a sent produce finish late
	}
	if err != nil {
		bc.errs = append(bc.errs, fmt.Errorf("%s after %v: %w", kind, took.Round(time.Millisecond), err))
		return
	}
	bc.counts[kind]++
	bc.worst[kind] = max(bc.worst[kind], took)
}

func (bc *busyClient) close() {
	bc.stop()
	<-bc.done
}

// Creating a topic of 10,000 partitions must not stop the broker serving
// other clients: opening the partitions used to hold the partition
// manager's lock, which every produce and fetch takes, for as long as all
// of them took to open (about a minute), and produce to other topics timed
// out.
func TestCreateTopicOfManyPartitionsKeepsServingOthers(t *testing.T) {
	const partitions = 10_000
	s := startTestServer(t, t.TempDir())
	defer s.Close()
	addr := s.Addrs()[0].String()

	adminCl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adminCl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	createTopicRaw(t, ctx, adminCl, "steady", 1)

	bc := startBusyClient(t, addr, "steady")
	defer bc.close()
	waitUntil(t, 30*time.Second, "the busy client's first produce", func() bool {
		bc.mu.Lock()
		defer bc.mu.Unlock()
		return bc.counts["produce"] > 0 || len(bc.errs) > 0
	})

	bc.mu.Lock()
	before := maps.Clone(bc.counts)
	bc.mu.Unlock()
	start := time.Now()
	createTopicRaw(t, ctx, adminCl, "wide", partitions)
	created := time.Since(start)
	// Opening all of them takes minutes on a slow disk; the first
	// thousand show whether the busy client is served meanwhile (it was
	// not at all until the last one opened). Close stops the rest.
	const watched = 1000
	waitUntil(t, 4*time.Minute, fmt.Sprintf("%d partitions opened", watched), func() bool {
		bc.mu.Lock()
		failed := len(bc.errs) > 0
		bc.mu.Unlock()
		return failed || len(s.parts.Partitions()) >= watched+1
	})
	opened := time.Since(start)
	bc.close()

	t.Logf("CreateTopics of %d partitions answered after %v, %d of them open after %v", partitions,
		created.Round(time.Millisecond), len(s.parts.Partitions())-1, opened.Round(time.Millisecond))
	bc.mu.Lock()
	defer bc.mu.Unlock()
	for _, kind := range []string{"produce", "api_versions", "metadata"} {
		served := bc.counts[kind] - before[kind]
		t.Logf("busy client: %d %s requests served meanwhile, worst %v", served, kind, bc.worst[kind].Round(time.Millisecond))
		if served == 0 {
			t.Errorf("no %s request was served while the partitions were opened", kind)
		}
	}
	if err := errors.Join(bc.errs...); err != nil {
		t.Fatalf("the busy client was not served while the partitions were opened:\n%v", err)
	}
}

func createTopicRaw(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, partitions int32) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32((4 * time.Minute).Milliseconds())
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, partitions, 1
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// TestNewTopicIsProducedToEvenly: records produced round-robin right after
// CreateTopics land evenly. A producer spreads records only over the
// partitions Metadata gives a leader, and a replica led here answers
// LEADER_NOT_AVAILABLE until it is open, so a topic whose partitions became
// usable one at a time got its first records piled on the first few.
func TestNewTopicIsProducedToEvenly(t *testing.T) {
	s := startTestServer(t, t.TempDir())
	defer s.Close()
	const (
		partitions = 24
		perPart    = 50
	)
	produceN(t, s.Addrs()[0].String(), "even", partitions, partitions*perPart)
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addrs()[0].String()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, "even")
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset != perPart {
			t.Errorf("partition %d: end offset %d (%v), want %d", o.Partition, o.Offset, o.Err, perPart)
		}
	})
}
