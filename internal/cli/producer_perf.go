package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// producerPerfOptions holds the flags of kafka-producer-perf-test.sh.
type producerPerfOptions struct {
	bootstrap        string
	topic            string
	numRecords       int64
	recordSize       int
	throughput       float64
	producerProps    []string
	producerConfig   string
	payloadFile      string
	payloadDelimiter string
	printMetrics     bool
}

func newProducerPerfCmd() *cobra.Command {
	o := &producerPerfOptions{}
	cmd := &cobra.Command{
		Use:   "producer-perf-test",
		Short: "Measure producer throughput and latency (kafka-producer-perf-test.sh)",
		Long: `Produces --num-records records of --record-size bytes (or lines of --payload-file)
as fast as allowed by --throughput and prints Kafka's progress lines every 5 seconds
and a final line with latency percentiles.

--producer-props takes one or more key=value producer properties, as in Kafka
(bootstrap.servers may be given there or with --bootstrap-server). Defaults chosen
for throughput: linger.ms=0, batch.size up to 1 MB, no compression, acks=all with
idempotence (Kafka's defaults), one payload buffer shared by every record.`,
		Example: `  samsa producer-perf-test --topic perf --num-records 1000000 --record-size 1024 --throughput -1 \
      --producer-props bootstrap.servers=localhost:9092 acks=1
  samsa producer-perf-test --bootstrap-server localhost:9092 --topic perf --num-records 100000 \
      --record-size 100 --throughput 10000 --producer-props linger.ms=5 compression.type=lz4`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// --producer-props takes several values, like Kafka's argparse
			// nargs='+': extra key=value words arrive as arguments.
			for _, a := range args {
				if !strings.Contains(a, "=") {
					return usageErrorf("unexpected argument %q: producer properties are key=value", a)
				}
				o.producerProps = append(o.producerProps, a)
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "the server(s) to connect to (or bootstrap.servers in --producer-props)")
	f.StringVar(&o.topic, "topic", "", "REQUIRED: the topic to produce to")
	f.Int64Var(&o.numRecords, "num-records", 0, "REQUIRED: number of messages to produce")
	f.IntVar(&o.recordSize, "record-size", 0, "message size in bytes (exactly one of --record-size or --payload-file)")
	f.Float64Var(&o.throughput, "throughput", 0, "REQUIRED: throttle to about this many messages/sec; -1 for no limit")
	f.StringArrayVar(&o.producerProps, "producer-props", nil, "producer properties key=value ... (acks, linger.ms, batch.size, compression.type, enable.idempotence, max.in.flight.requests.per.connection, buffer.memory)")
	f.StringVar(&o.producerConfig, "producer.config", "", "producer properties file")
	f.StringVar(&o.payloadFile, "payload-file", "", "file of payloads, split by --payload-delimiter; records pick one at random")
	f.StringVar(&o.payloadDelimiter, "payload-delimiter", "\\n", "delimiter of --payload-file")
	f.BoolVar(&o.printMetrics, "print-metrics", false, "print client metrics at the end (samsa prints buffered-record and error counts)")
	return cmd
}

func (o *producerPerfOptions) validate() error {
	switch {
	case o.topic == "":
		return usageErrorf("missing required argument --topic")
	case o.numRecords <= 0:
		return usageErrorf("--num-records must be a positive number")
	case o.throughput == 0:
		return usageErrorf("missing required argument --throughput (-1 for no limit)")
	case (o.recordSize > 0) == (o.payloadFile != ""):
		return usageErrorf("exactly one of --record-size or --payload-file is required")
	}
	return nil
}

// payloads returns the payloads to send: one random buffer of --record-size
// bytes (reused for every record), or the entries of --payload-file.
func (o *producerPerfOptions) payloads() ([][]byte, error) {
	if o.payloadFile == "" {
		buf := make([]byte, o.recordSize)
		for i := range buf {
			buf[i] = byte('A' + rand.IntN(26))
		}
		return [][]byte{buf}, nil
	}
	data, err := os.ReadFile(o.payloadFile)
	if err != nil {
		return nil, fmt.Errorf("read payload file: %w", err)
	}
	delim := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\r`, "\r").Replace(o.payloadDelimiter)
	var out [][]byte
	for _, p := range bytes.Split(data, []byte(delim)) {
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("payload file %s is empty", o.payloadFile)
	}
	return out, nil
}

func (o *producerPerfOptions) run(ctx context.Context, out, stderr io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	payloads, err := o.payloads()
	if err != nil {
		return err
	}
	props, err := o.properties()
	if err != nil {
		return err
	}
	cc, err := newClientConfig(o.bootstrap, "", props)
	if err != nil {
		return err
	}
	popts, err := producerOpts(props)
	if err != nil {
		return err
	}
	// Throughput defaults first, so that properties override them.
	opts := append([]kgo.Opt{kgo.ProducerLinger(0), kgo.ProducerBatchMaxBytes(1 << 20)}, popts...)
	cl, err := cc.connect(ctx, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	stats := newPerfStats(out, 5*time.Second, time.Now)
	res := o.produce(ctx, cl, payloads, stats)
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cc.timeout)
	defer cancel()
	if err := cl.Flush(flushCtx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	stats.final()
	if o.printMetrics {
		fmt.Fprintf(out, "samsa:producer:buffered-records: %d\nsamsa:producer:record-errors: %d\n", cl.BufferedProduceRecords(), res.failed.Load())
	}
	if n := res.failed.Load(); n > 0 {
		return fmt.Errorf("%d records failed; first error: %v", n, res.firstErr())
	}
	return nil
}

func (o *producerPerfOptions) properties() (map[string]string, error) {
	props := map[string]string{}
	if o.producerConfig != "" {
		var err error
		if props, err = loadProperties(o.producerConfig); err != nil {
			return nil, err
		}
	}
	flagProps, err := parseKVs("--producer-props", o.producerProps)
	if err != nil {
		return nil, err
	}
	return mergeProps(props, flagProps), nil
}

// produceResult collects delivery failures from the promise goroutine.
type produceResult struct {
	failed atomic.Int64
	mu     sync.Mutex
	first  error
}

func (r *produceResult) fail(err error) {
	if r.failed.Add(1) == 1 {
		r.mu.Lock()
		r.first = err
		r.mu.Unlock()
	}
}

func (r *produceResult) firstErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// produce sends the records asynchronously. Records are recycled through a
// pool once their promise has run; latency is measured from the timestamp
// kgo stamps on the record at Produce, so the promise does no allocation and
// starts no goroutine. It stops early, without error, when ctx is cancelled.
func (o *producerPerfOptions) produce(ctx context.Context, cl *kgo.Client, payloads [][]byte, stats *perfStats) *produceResult {
	res := &produceResult{}
	pool := sync.Pool{New: func() any { return new(kgo.Record) }}
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			res.fail(err)
		} else {
			now := time.Now()
			stats.record(now.Sub(r.Timestamp), len(r.Value), now)
		}
		pool.Put(r)
	}
	th := newThrottler(o.throughput, time.Now())
	defer th.stop()
	for i := int64(0); i < o.numRecords && ctx.Err() == nil; i++ {
		r := pool.Get().(*kgo.Record)
		*r = kgo.Record{Topic: o.topic, Value: payloads[0]}
		if len(payloads) > 1 {
			r.Value = payloads[rand.IntN(len(payloads))]
		}
		cl.Produce(ctx, r, promise)
		if err := th.wait(ctx, i+1); err != nil && !errors.Is(err, context.Canceled) {
			res.fail(err)
			break
		}
	}
	return res
}
