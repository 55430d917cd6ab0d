package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// A client process's CPU time (user+system, from its rusage once it exits)
// is measured next to the broker's: on a small machine the one Java
// ProducerPerformance or ConsumerPerformance process can be the bottleneck,
// and then its MiB/s says more about the client than about the broker.

// clientRun is a finished client process.
type clientRun struct {
	stdout string
	cpu    float64 // CPU seconds, user+system
}

// runClient runs name with args, failing the benchmark when it exits
// non-zero or outlives timeout.
func (r *runner) runClient(n node, timeout time.Duration, name string, args ...string) clientRun {
	r.b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, errors.Join(err, ctx.Err()))
	}
	if err != nil {
		r.b.Fatalf("%s: %s against %s: %v\nstdout:\n%s\nstderr:\n%s", n.name, name, n.addr, err, stdout.String(), stderr.String())
	}
	st := cmd.ProcessState
	return clientRun{stdout: stdout.String(), cpu: (st.UserTime() + st.SystemTime()).Seconds()}
}

// goClientPhases runs the second workload against n: the same records
// produced and consumed with franz-go (samsa's producer-perf-test and
// consumer-perf-test, the same binary for both brokers), a client that
// costs a few times less CPU per MiB than the Java one, so that the figures
// depend more on the broker. It fills the Go* fields of sm.
func (r *runner) goClientPhases(n node, round, topic string, sm *Sample) {
	r.b.Helper()
	cfg := r.cfg
	r.createTopic(n, topic)
	bin := harness.Binary(r.b)
	progress("%s %s: produce %d records with franz-go", round, n.name, cfg.records)
	cpu0 := r.cpuSeconds(n)
	pout := r.runClient(n, throughputToolTimeout, bin, "producer-perf-test", "--bootstrap-server", n.addr,
		"--topic", topic, "--num-records", strconv.Itoa(cfg.records), "--record-size", strconv.Itoa(cfg.recordSize),
		"--throughput", "-1", "--producer-props", "acks=all")
	cpu1 := r.cpuSeconds(n)
	pr, err := ParseProducerPerf(pout.stdout)
	if err != nil {
		r.b.Fatalf("%s: franz-go producer: %v\n%s", n.name, err, pout.stdout)
	}
	if pr.Records != int64(cfg.records) {
		r.b.Fatalf("%s: franz-go producer sent %d records, want %d", n.name, pr.Records, cfg.records)
	}
	progress("%s %s: consume them with franz-go", round, n.name)
	cout := r.runClient(n, throughputToolTimeout, bin, "consumer-perf-test", "--bootstrap-server", n.addr,
		"--topic", topic, "--messages", strconv.Itoa(cfg.records), "--timeout", strconv.Itoa(consumeIdleMs))
	cpu2 := r.cpuSeconds(n)
	cr, err := ParseConsumerPerf(cout.stdout)
	if err != nil {
		r.b.Fatalf("%s: franz-go consumer: %v\n%s", n.name, err, cout.stdout)
	}
	if cr.Records < int64(cfg.records) {
		r.b.Fatalf("%s: franz-go consumer read %d records, want %d", n.name, cr.Records, cfg.records)
	}
	mib := float64(cfg.records) * float64(cfg.recordSize) / (1 << 20)
	sm.GoProduceMiBs, sm.GoConsumeMiBs = pr.MiBSec, cr.FetchMiBSec
	sm.GoProduceCPUPerMiB, sm.GoConsumeCPUPerMiB = (cpu1-cpu0)/mib, (cpu2-cpu1)/cr.MiB
	sm.GoProduceClientCPUPerMiB, sm.GoConsumeClientCPUPerMiB = pout.cpu/mib, cout.cpu/cr.MiB
}
