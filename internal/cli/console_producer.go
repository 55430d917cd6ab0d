package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consoleProducerOptions holds the flags of kafka-console-producer.sh.
type consoleProducerOptions struct {
	bootstrap, brokerList, topic string
	properties                   []string
	producerProps                []string
	producerConfig               string
	readerConfig                 string
	sync                         bool

	// Flags that set a producer property; a flag given on the command line
	// wins over --producer-property and --producer.config, its default only
	// fills a property nobody set (Kafka's maybeMergeOptions).
	acks             string
	compression      string
	lingerMs         int
	batchSize        int
	retries          int
	requestTimeoutMs int
	maxMemoryBytes   int
}

func newConsoleProducerCmd() *cobra.Command {
	o := &consoleProducerOptions{}
	cmd := &cobra.Command{
		Use:   "console-producer",
		Short: "Read lines from standard input and produce them as records (kafka-console-producer.sh)",
		Long: `Reads records from standard input, one per line, and produces them to --topic.
It exits when standard input closes, after every record is delivered (or failed).
With --property parse.key=true each line is KEY<key.separator>VALUE (separator: tab);
with --property parse.headers=true lines start with h1:v1,h2:v2<headers.delimiter>.`,
		Example: `  samsa console-producer --bootstrap-server localhost:9092 --topic orders
  samsa console-producer --bootstrap-server localhost:9092 --topic orders \
      --property parse.key=true --property key.separator=:   # lines like  id-1:{"qty":3}
  cat events.txt | samsa console-producer --broker-list localhost:9092 --topic events --compression-codec lz4`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// "--compression-codec lz4": pflag reads a bare optional-value
			// flag as gzip and leaves "lz4" as an argument; Kafka takes it
			// as the value.
			if len(args) == 1 && cmd.Flags().Changed("compression-codec") && o.compression == "gzip" {
				if _, err := parseCompression(args[0]); err == nil {
					o.compression, args = args[0], nil
				}
			}
			if err := requireNoArgs(cmd, args); err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.Flags(), cmd.InOrStdin(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED unless --broker-list: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.brokerList, "broker-list", "", "DEPRECATED, use --bootstrap-server")
	f.StringVar(&o.topic, "topic", "", "REQUIRED: the topic to produce messages to")
	f.StringArrayVar(&o.properties, "property", nil, "line reader property: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, ignore.error, null.marker (repeatable)")
	f.StringArrayVar(&o.producerProps, "producer-property", nil, "a producer property key=value (repeatable)")
	f.StringVar(&o.producerConfig, "producer.config", "", "producer properties file (--producer-property wins)")
	f.StringVar(&o.readerConfig, "reader-config", "", "properties file for the line reader (--property wins)")
	f.BoolVar(&o.sync, "sync", false, "send each message synchronously, one at a time")
	f.StringVar(&o.acks, "request-required-acks", "-1", "required acks of producer requests: 0, 1, -1 or all")
	f.StringVar(&o.compression, "compression-codec", "none", "compression codec: none, gzip, snappy, lz4 or zstd; gzip if given without a value")
	f.Lookup("compression-codec").NoOptDefVal = "gzip"
	f.IntVar(&o.lingerMs, "timeout", 5, "linger.ms: how long to wait for more messages to fill a batch")
	f.IntVar(&o.batchSize, "batch-size", 1<<20, "batch.size: maximum bytes of one record batch")
	f.IntVar(&o.retries, "message-send-max-retries", 0, "retries: how often to retry a failed send (0 = retry until the delivery timeout)")
	f.IntVar(&o.requestTimeoutMs, "request-timeout-ms", 30000, "request.timeout.ms: how long to wait for a produce response")
	f.IntVar(&o.maxMemoryBytes, "max-memory-bytes", 32<<20, "buffer.memory: bytes buffered while waiting to be sent")
	return cmd
}

// producerProps merges --producer.config, --producer-property and the
// dedicated flags into one property map.
func (o *consoleProducerOptions) producerProperties(fs *pflag.FlagSet) (map[string]string, error) {
	props := map[string]string{}
	if o.producerConfig != "" {
		var err error
		if props, err = loadProperties(o.producerConfig); err != nil {
			return nil, err
		}
	}
	extra, err := parseKVs("--producer-property", o.producerProps)
	if err != nil {
		return nil, err
	}
	props = mergeProps(props, extra)
	merge := func(flag, key, value string) {
		if _, set := props[key]; fs.Changed(flag) || !set {
			props[key] = value
		}
	}
	merge("request-required-acks", "acks", o.acks)
	merge("compression-codec", "compression.type", o.compression)
	merge("timeout", "linger.ms", strconv.Itoa(o.lingerMs))
	merge("batch-size", "batch.size", strconv.Itoa(o.batchSize))
	merge("request-timeout-ms", "request.timeout.ms", strconv.Itoa(o.requestTimeoutMs))
	merge("max-memory-bytes", "buffer.memory", strconv.Itoa(o.maxMemoryBytes))
	if fs.Changed("message-send-max-retries") {
		props["retries"] = strconv.Itoa(o.retries)
	}
	return props, nil
}

func (o *consoleProducerOptions) run(ctx context.Context, fs *pflag.FlagSet, in io.Reader, stderr io.Writer) error {
	if o.topic == "" {
		return usageErrorf("missing required argument --topic")
	}
	reader, err := o.lineReader()
	if err != nil {
		return err
	}
	props, err := o.producerProperties(fs)
	if err != nil {
		return err
	}
	bootstrap := o.bootstrap
	if bootstrap == "" {
		bootstrap = o.brokerList
	}
	cc, err := newClientConfig(bootstrap, "", props)
	if err != nil {
		return err
	}
	popts, err := producerOpts(props)
	if err != nil {
		return err
	}
	causes := newProducePartitionCauses()
	cl, err := cc.connect(ctx, append(popts, kgo.DefaultProduceTopic(o.topic), kgo.WithLogger(causes))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	return o.produceLines(ctx, cl, reader, in, stderr, deliveryTimeout(props), causes)
}

// lineReader builds the line parser from --reader-config and --property.
func (o *consoleProducerOptions) lineReader() (*lineReader, error) {
	props := map[string]string{}
	if o.readerConfig != "" {
		var err error
		if props, err = loadProperties(o.readerConfig); err != nil {
			return nil, err
		}
	}
	flagProps, err := parseKVs("--property", o.properties)
	if err != nil {
		return nil, err
	}
	return newLineReader(mergeProps(props, flagProps)), nil
}

// produceLines reads stdin until EOF, a line it cannot parse, or ctx
// cancellation; produces each line; then, as Kafka's producer close does,
// waits for every record read to be delivered or to fail within
// deliveryTimeout. Each failed record is printed with its partition and
// cause; the returned error is the parse error, else a count of the failures.
func (o *consoleProducerOptions) produceLines(ctx context.Context, cl *kgo.Client, lr *lineReader, in io.Reader, stderr io.Writer, deliveryTimeout time.Duration, causes *producePartitionCauses) error {
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	lines, readErr := readLines(readCtx, in)
	var failed, sent atomic.Int64
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
			err = causes.explain(r, err)
			fmt.Fprintf(stderr, "Error when sending message to topic %s %s with key: %s, value: %d bytes with error: %v\n",
				r.Topic, describePartition(r.Partition), describeKey(r.Key), len(r.Value), err)
		}
	}
	var parseErr error
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case line, ok := <-lines:
			if !ok {
				done = true
				break
			}
			rec, err := lr.parse(line.text, line.number)
			if err != nil {
				parseErr, done = err, true
				break
			}
			// The partitioner sets the partition; -1 until then names a
			// record that failed before it had one.
			rec.Partition = -1
			sent.Add(1)
			if o.sync {
				promise(rec, cl.ProduceSync(ctx, rec).FirstErr())
			} else {
				cl.Produce(ctx, rec, promise)
			}
		}
	}
	stopReading()
	// Deliver what was read even after Ctrl-C or a bad line: the lines
	// before it were accepted and belong in the topic.
	if err := o.flush(ctx, cl, deliveryTimeout); err != nil {
		return err
	}
	if parseErr != nil {
		return parseErr
	}
	if ctx.Err() == nil {
		if err := <-readErr; err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
	}
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d messages were not delivered", n, sent.Load())
	}
	return nil
}

// flush waits for every buffered record to be delivered or failed. Records
// fail by themselves once deliveryTimeout passes; the extra minute only
// guards against a client that never settles them, whose records are then
// failed (and printed) here.
func (o *consoleProducerOptions) flush(ctx context.Context, cl *kgo.Client, deliveryTimeout time.Duration) error {
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliveryTimeout+time.Minute)
	defer cancel()
	if err := cl.Flush(flushCtx); err != nil {
		n := cl.BufferedProduceRecords()
		cl.UnsafeAbortBufferedRecords()
		return fmt.Errorf("%d messages were neither delivered nor failed a minute after delivery.timeout.ms (%v): abandoned", n, deliveryTimeout)
	}
	return nil
}

// describePartition names a record's partition, or says it had none.
func describePartition(p int32) string {
	if p < 0 {
		return "(no partition assigned)"
	}
	return fmt.Sprintf("partition %d", p)
}

func describeKey(k []byte) string {
	if k == nil {
		return "null"
	}
	return strconv.Quote(string(k))
}

// inputLine is one line of standard input and its 1-based number.
type inputLine struct {
	text   string
	number int
}

// readLines reads lines in its own goroutine so that a cancelled ctx stops
// the producer even while stdin blocks. The goroutine exits at EOF, on a
// read error, or at ctx cancellation once it next returns from Read; its
// final error (nil at EOF or cancellation) is sent on the second channel.
func readLines(ctx context.Context, in io.Reader) (<-chan inputLine, <-chan error) {
	lines := make(chan inputLine, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(lines)
		br := bufio.NewReaderSize(in, 64<<10)
		for n := 1; ; n++ {
			text, err := br.ReadString('\n')
			if text != "" {
				text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r")
				select {
				case lines <- inputLine{text, n}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					errc <- err
				}
				return
			}
		}
	}()
	return lines, errc
}
