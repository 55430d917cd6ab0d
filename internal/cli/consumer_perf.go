package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerPerfOptions holds the flags of kafka-consumer-perf-test.sh.
type consumerPerfOptions struct {
	bootstrap, topic, group string
	messages                int64
	fetchSize               int32
	timeoutMs               int
	showDetailed            bool
	reportingIntervalMs     int
	hideHeader              bool
	fromLatest              bool
	consumerConfig          string
	dateFormat              string
	printMetrics            bool
	threads, fetchThreads   int
	socketBufferSize        int
}

func newConsumerPerfCmd() *cobra.Command {
	o := &consumerPerfOptions{}
	cmd := &cobra.Command{
		Use:   "consumer-perf-test",
		Short: "Measure consumer throughput (kafka-consumer-perf-test.sh)",
		Long: `Consumes --messages records from --topic (from the beginning of every partition,
by direct assignment unless --group is given) and prints Kafka's result line:
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.`,
		Example: `  samsa consumer-perf-test --bootstrap-server localhost:9092 --topic perf --messages 1000000
  samsa consumer-perf-test --bootstrap-server localhost:9092 --topic perf --messages 1000000 \
      --show-detailed-stats --reporting-interval 1000 --hide-header`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.bootstrap, "broker-list", "", "DEPRECATED, use --bootstrap-server")
	f.StringVar(&o.topic, "topic", "", "REQUIRED: the topic to consume from")
	f.Int64Var(&o.messages, "messages", 0, "REQUIRED: the number of messages to consume")
	f.StringVar(&o.group, "group", "", "consumer group id (default: direct assignment of every partition, no group)")
	f.Int32Var(&o.fetchSize, "fetch-size", 1<<20, "bytes to fetch per partition in a single request (max.partition.fetch.bytes)")
	f.IntVar(&o.timeoutMs, "timeout", 10000, "give up after this many milliseconds without a record")
	f.BoolVar(&o.showDetailed, "show-detailed-stats", false, "print stats every --reporting-interval instead of one result line")
	f.IntVar(&o.reportingIntervalMs, "reporting-interval", 5000, "interval in milliseconds between detailed stats")
	f.BoolVar(&o.hideHeader, "hide-header", false, "skip printing the header line")
	f.BoolVar(&o.fromLatest, "from-latest", false, "start at the end of each partition instead of the beginning")
	f.StringVar(&o.consumerConfig, "consumer.config", "", "consumer properties file")
	f.StringVar(&o.consumerConfig, "command-config", "", "consumer properties file (newer Kafka name)")
	f.StringVar(&o.dateFormat, "date-format", "yyyy-MM-dd HH:mm:ss:SSS", "java.text.SimpleDateFormat pattern for start.time, end.time and time")
	f.BoolVar(&o.printMetrics, "print-metrics", false, "accepted for compatibility; samsa prints no client metrics")
	f.IntVar(&o.threads, "threads", 1, "DEPRECATED and ignored")
	f.IntVar(&o.fetchThreads, "num-fetch-threads", 1, "DEPRECATED and ignored")
	f.IntVar(&o.socketBufferSize, "socket-buffer-size", 2<<20, "accepted for compatibility and ignored")
	return cmd
}

func (o *consumerPerfOptions) run(ctx context.Context, out, stderr io.Writer) error {
	if o.topic == "" {
		return usageErrorf("missing required argument --topic")
	}
	if o.messages <= 0 {
		return usageErrorf("missing required argument --messages (a positive number)")
	}
	props := map[string]string{}
	if o.consumerConfig != "" {
		var err error
		if props, err = loadProperties(o.consumerConfig); err != nil {
			return err
		}
	}
	copts, err := consumerOpts(props)
	if err != nil {
		return err
	}
	cc, err := newClientConfig(o.bootstrap, "", props)
	if err != nil {
		return err
	}
	start := kgo.NewOffset().AtStart()
	if o.fromLatest {
		start = kgo.NewOffset().AtEnd()
	}
	opts := append([]kgo.Opt{kgo.FetchMaxPartitionBytes(o.fetchSize), kgo.ConsumeTopics(o.topic), kgo.ConsumeResetOffset(start)}, copts...)
	rb := &rebalanceTimer{}
	if o.group != "" {
		opts = append(opts, kgo.ConsumerGroup(o.group), kgo.OnPartitionsAssigned(rb.assigned))
	}
	startTime := time.Now()
	rb.begin(startTime)
	cl, err := cc.connect(ctx, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if !o.hideHeader {
		fmt.Fprintln(out, consumerPerfHeader(o.showDetailed))
	}
	res := o.consume(ctx, cl, rb, out)
	if res.count < o.messages && ctx.Err() == nil {
		fmt.Fprintf(stderr, "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. You can use the --timeout option to increase the timeout.\n", o.timeoutMs)
	}
	if !o.showDetailed {
		fmt.Fprintln(out, consumerPerfLine(o.dateFormat, startTime, res.end, res.bytes, res.count, rb.elapsed()))
	}
	return nil
}

// perfTotals is what consume measured.
type perfTotals struct {
	count, bytes int64
	end          time.Time
}

// consume reads until --messages records, --timeout without one, or ctx ends.
func (o *consumerPerfOptions) consume(ctx context.Context, cl *kgo.Client, rb *rebalanceTimer, out io.Writer) perfTotals {
	res := perfTotals{end: time.Now()}
	interval := time.Duration(o.reportingIntervalMs) * time.Millisecond
	last := progress{at: res.end}
	for res.count < o.messages {
		pollCtx, cancel := context.WithTimeout(ctx, time.Duration(o.timeoutMs)*time.Millisecond)
		fetches := cl.PollFetches(pollCtx)
		timedOut := pollCtx.Err() != nil
		cancel()
		if fetches.IsClientClosed() || ctx.Err() != nil {
			break
		}
		n := 0
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			res.bytes += int64(len(r.Key) + len(r.Value))
		})
		if n == 0 && timedOut {
			break
		}
		res.count += int64(n)
		res.end = time.Now()
		if o.showDetailed && res.end.Sub(last.at) >= interval {
			cur := progress{at: res.end, count: res.count, bytes: res.bytes, rebalance: rb.elapsed()}
			fmt.Fprintln(out, consumerPerfProgress(o.dateFormat, last, cur))
			last = cur
		}
	}
	return res
}
