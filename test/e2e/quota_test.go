package e2e

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// throttleCounter counts the throttle times brokers report (a kgo hook).
type throttleCounter struct{ n atomic.Int64 }

func (c *throttleCounter) OnBrokerThrottle(_ kgo.BrokerMetadata, d time.Duration, _ bool) {
	if d > 0 {
		c.n.Add(1)
	}
}

// produceFor sends 16 KiB records to topic until ctx ends or limit bytes
// were acknowledged, and returns the acknowledged bytes and the time taken.
func produceFor(ctx context.Context, t *testing.T, addr, clientID, topic string, limit int64, hooks ...kgo.Hook) (int64, time.Duration) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID(clientID), kgo.DefaultProduceTopic(topic),
		kgo.DisableIdempotentWrite(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.WithHooks(hooks...),
		kgo.MaxBufferedRecords(64), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	value := make([]byte, 16<<10) // uncompressed: the quota counts wire bytes
	_, _ = rand.Read(value)
	var acked atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for ctx.Err() == nil && acked.Load() < limit {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: value}, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err == nil {
				acked.Add(int64(len(r.Value)))
			}
		})
	}
	elapsed := time.Since(start)
	n := acked.Load()
	wg.Wait() // records still buffered fail with ctx's error
	return n, elapsed
}

// TestClientQuotaThrottlesOnlyTheLimitedClient: producer_byte_rate=1 MiB/s
// on client-id "limited" holds it near that rate over 10 s with
// throttle_time_ms reported, while client "free" on the same broker is not
// slowed. quota.window.num=2 keeps the measured window short: with Kafka's
// default of 11 one-second samples a new client may first burst about ten
// seconds' worth (as in Kafka), which a 10 s measurement would mostly see.
func TestClientQuotaThrottlesOnlyTheLimitedClient(t *testing.T) {
	b := harness.Start(t, map[string]string{"quota.window.num": "2", "quota.window.size.seconds": "1"})
	b.CreateTopic("limited-t", 1, nil)
	b.CreateTopic("free-t", 1, nil)
	harness.MustTool(t, 30*time.Second, "", "configs", "--bootstrap-server", b.Addr, "--alter",
		"--add-config", "producer_byte_rate=1048576", "--entity-type", "clients", "--entity-name", "limited")
	res := harness.MustTool(t, 30*time.Second, "", "configs", "--bootstrap-server", b.Addr, "--describe",
		"--entity-type", "clients", "--entity-name", "limited")
	if !strings.Contains(res.Stdout, "Quota configs for client-id 'limited' are producer_byte_rate=1048576.0") {
		t.Fatalf("describe:\n%s", res)
	}

	const mib = 1 << 20
	var (
		wg                  sync.WaitGroup
		limitedN, freeN     int64
		limitedDur, freeDur time.Duration
		throttles           throttleCounter
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wg.Add(2)
	go func() {
		defer wg.Done()
		limitedN, limitedDur = produceFor(ctx, t, b.Addr, "limited", "limited-t", 1<<40, &throttles)
	}()
	go func() {
		defer wg.Done()
		// Unlimited: 48 MiB as fast as it goes (bounded to spare the
		// disk), started while the limited client is being throttled.
		select {
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
		}
		freeN, freeDur = produceFor(ctx, t, b.Addr, "free", "free-t", 48*mib)
	}()
	wg.Wait()
	limitedRate := float64(limitedN) / limitedDur.Seconds() / mib
	freeRate := float64(freeN) / freeDur.Seconds() / mib
	t.Logf("limited: %.2f MiB/s over %v (%d throttled responses); free: %.2f MiB/s over %v",
		limitedRate, limitedDur.Round(time.Millisecond), throttles.n.Load(), freeRate, freeDur.Round(time.Millisecond))
	if limitedRate < 0.5 || limitedRate > 1.6 {
		t.Errorf("limited client produced %.2f MiB/s, want 0.5-1.6", limitedRate)
	}
	if throttles.n.Load() == 0 {
		t.Error("no response reported throttle_time_ms to the limited client")
	}
	if freeRate < 4 {
		t.Errorf("unlimited client produced only %.2f MiB/s: it was slowed down", freeRate)
	}
}
