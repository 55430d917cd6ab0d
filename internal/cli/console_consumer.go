package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consoleConsumerOptions holds the flags of kafka-console-consumer.sh.
type consoleConsumerOptions struct {
	bootstrap, topic, include string
	fromBeginning             bool
	maxMessages               int
	partition                 int32
	partitionSet              bool
	offset                    string
	timeoutMs                 int
	properties                []string
	consumerProps             []string
	consumerConfig            string
	group                     string
	isolationLevel            string
	skipOnError               bool
	formatter                 string
	formatterConfig           string
	// The deprecated spellings: one slice per flag, because pflag resets a
	// flag's slice at its first use.
	oldProperties, oldConsumerProps []string
	keyDeserializer                 string
	valueDeserializer               string
}

func newConsoleConsumerCmd() *cobra.Command {
	o := &consoleConsumerOptions{}
	cmd := &cobra.Command{
		Use:   "console-consumer",
		Short: "Print records from a topic to standard output (kafka-console-consumer.sh)",
		Long: `Consumes --topic and prints each record's value (and, with --property print.*=true,
its timestamp, partition, offset, headers and key). Without --group every partition is
read by direct assignment. At exit it prints "Processed a total of N messages" to stderr.`,
		Example: `  samsa console-consumer --bootstrap-server localhost:9092 --topic orders --from-beginning
  samsa console-consumer --bootstrap-server localhost:9092 --topic orders --from-beginning \
      --property print.key=true --property key.separator=: --max-messages 10
  samsa console-consumer --bootstrap-server localhost:9092 --topic orders --partition 0 --offset 42 --timeout-ms 5000
  samsa console-consumer --bootstrap-server localhost:9092 --topic orders --group audit`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.partitionSet = cmd.Flags().Changed("partition")
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.topic, "topic", "", "the topic to consume")
	f.StringVar(&o.include, "include", "", "regular expression of the topics to consume (instead of --topic)")
	f.StringVar(&o.include, "whitelist", "", "DEPRECATED, use --include")
	f.BoolVar(&o.fromBeginning, "from-beginning", false, "start with the earliest message present rather than the latest")
	f.IntVar(&o.maxMessages, "max-messages", 0, "exit after consuming this many messages (0: unlimited)")
	f.Int32Var(&o.partition, "partition", 0, "consume only this partition (starts at the end unless --from-beginning or --offset)")
	f.StringVar(&o.offset, "offset", "", "with --partition: 'earliest', 'latest' or an offset to start from")
	f.IntVar(&o.timeoutMs, "timeout-ms", 0, "exit if no message arrives for this many milliseconds (0: wait forever)")
	f.StringArrayVar(&o.properties, "formatter-property", nil, "formatter property: print.key, print.value, print.timestamp, print.offset, print.partition, print.headers, key.separator, line.separator, headers.separator, null.literal, key.deserializer, value.deserializer, headers.deserializer (repeatable)")
	f.StringArrayVar(&o.oldProperties, "property", nil, "DEPRECATED, use --formatter-property")
	f.StringVar(&o.formatterConfig, "formatter-config", "", "formatter properties file (--formatter-property wins)")
	f.StringVar(&o.keyDeserializer, "key-deserializer", "", "how keys are printed: org.apache.kafka.common.serialization.{String,Long,Integer,Short,Double,Float,Boolean,UUID,Bytes}Deserializer")
	f.StringVar(&o.valueDeserializer, "value-deserializer", "", "how values are printed (as --key-deserializer)")
	f.StringArrayVar(&o.consumerProps, "command-property", nil, "a consumer property key=value (repeatable): group.protocol, group.instance.id, partition.assignment.strategy, ...")
	f.StringArrayVar(&o.oldConsumerProps, "consumer-property", nil, "DEPRECATED, use --command-property")
	f.StringVar(&o.consumerConfig, "command-config", "", "consumer properties file (--command-property wins)")
	f.StringVar(&o.consumerConfig, "consumer.config", "", "DEPRECATED, use --command-config")
	f.StringVar(&o.group, "group", "", "consumer group id (default: read every partition directly, commit nothing)")
	f.StringVar(&o.isolationLevel, "isolation-level", "read_uncommitted", "read_committed or read_uncommitted")
	f.BoolVar(&o.skipOnError, "skip-message-on-error", false, "skip a message that cannot be printed instead of stopping")
	f.StringVar(&o.formatter, "formatter", "", "formatter class: org.apache.kafka.tools.consumer.DefaultMessageFormatter (default), LoggingMessageFormatter or NoOpMessageFormatter")
	return cmd
}

// startOffset resolves --from-beginning, --offset and auto.offset.reset.
func (o *consoleConsumerOptions) startOffset(props map[string]string) (kgo.Offset, error) {
	if o.offset != "" && !o.partitionSet {
		return kgo.Offset{}, usageErrorf("the partition is required when offset is specified")
	}
	if o.offset != "" && o.fromBeginning {
		return kgo.Offset{}, usageErrorf("options from-beginning and offset cannot be specified together")
	}
	switch off := strings.ToLower(strings.TrimSpace(o.offset)); {
	case o.fromBeginning || off == "earliest":
		return kgo.NewOffset().AtStart(), nil
	case off == "latest":
		return kgo.NewOffset().AtEnd(), nil
	case off != "":
		n, err := strconv.ParseInt(off, 10, 64)
		if err != nil || n < 0 {
			return kgo.Offset{}, usageErrorf("the provided offset value '%s' is incorrect: valid values are 'earliest', 'latest', or a non-negative long", o.offset)
		}
		return kgo.NewOffset().At(n), nil
	}
	if strings.EqualFold(props["auto.offset.reset"], "earliest") {
		return kgo.NewOffset().AtStart(), nil
	}
	return kgo.NewOffset().AtEnd(), nil
}

// clientOpts validates the flags and returns the consume options.
func (o *consoleConsumerOptions) clientOpts(props map[string]string) ([]kgo.Opt, error) {
	if (o.topic == "") == (o.include == "") {
		return nil, usageErrorf("exactly one of --topic or --include is required")
	}
	if o.group == "" {
		o.group = props["group.id"]
	}
	if o.group != "" && o.partitionSet {
		return nil, usageErrorf("options group and partition cannot be specified together")
	}
	start, err := o.startOffset(props)
	if err != nil {
		return nil, err
	}
	iso, err := parseIsolation(o.isolationLevel)
	if err != nil {
		return nil, err
	}
	copts, err := consumerOpts(props)
	if err != nil {
		return nil, err
	}
	gopts, err := groupPropertyOpts(props)
	if err != nil {
		return nil, err
	}
	opts := append(append([]kgo.Opt{iso}, copts...), gopts...)
	switch {
	case o.partitionSet:
		return append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: {o.partition: start}})), nil
	case o.include != "":
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(o.include))
	default:
		opts = append(opts, kgo.ConsumeTopics(o.topic))
	}
	opts = append(opts, kgo.ConsumeResetOffset(start))
	if o.group != "" {
		opts = append(opts, kgo.ConsumerGroup(o.group))
	}
	return opts, nil
}

func (o *consoleConsumerOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	props, err := o.consumerProperties()
	if err != nil {
		return err
	}
	formatter, err := o.messageFormatter(stderr)
	if err != nil {
		return err
	}
	opts, err := o.clientOpts(props)
	if err != nil {
		return err
	}
	warnUnusedConsumerProps(props, stderr)
	cc, err := newClientConfig(o.bootstrap, "", props)
	if err != nil {
		return err
	}
	cl, err := cc.connect(ctx, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	stderr = &lockedWriter{w: stderr}
	if o.topic != "" {
		watchCtx, stopWatching := context.WithCancel(ctx)
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			warnWhileTopicsMissing(watchCtx, cl, []string{o.topic}, !strings.EqualFold(props["allow.auto.create.topics"], "false"), stderr)
		}()
		defer func() { stopWatching(); <-watched }()
	}
	formatter.log = stderr
	n, err := o.consume(ctx, cl, formatter, stdout, stderr)
	if cerr := o.commitOnExit(cl, props, cc.timeout); err == nil {
		err = cerr
	}
	fmt.Fprintf(stderr, "Processed a total of %d messages\n", n)
	return err
}

// commitOnExit commits, as a Java consumer's close does with auto commit on,
// the offsets of the records printed since the last automatic commit, so the
// group's next consumer starts right after them. It has its own deadline:
// the run's context may already be cancelled (Ctrl-C).
func (o *consoleConsumerOptions) commitOnExit(cl *kgo.Client, props map[string]string, timeout time.Duration) error {
	if o.group == "" || strings.EqualFold(props["enable.auto.commit"], "false") {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return fmt.Errorf("commit offsets of group %s: %w", o.group, err)
	}
	return nil
}

// messageFormatter builds --formatter from --formatter-config, then the
// deserializer flags, then --formatter-property, each winning over the
// one before, as Kafka's tool merges them.
func (o *consoleConsumerOptions) messageFormatter(log io.Writer) (*messageFormatter, error) {
	props := map[string]string{}
	if o.formatterConfig != "" {
		var err error
		if props, err = loadProperties(o.formatterConfig); err != nil {
			return nil, err
		}
	}
	if o.keyDeserializer != "" {
		props["key.deserializer"] = o.keyDeserializer
	}
	if o.valueDeserializer != "" {
		props["value.deserializer"] = o.valueDeserializer
	}
	extra, err := parseKVs("--formatter-property", append(append([]string{}, o.oldProperties...), o.properties...))
	if err != nil {
		return nil, err
	}
	return newMessageFormatter(o.formatter, mergeProps(props, extra), log)
}

func (o *consoleConsumerOptions) consumerProperties() (map[string]string, error) {
	props := map[string]string{}
	if o.consumerConfig != "" {
		var err error
		if props, err = loadProperties(o.consumerConfig); err != nil {
			return nil, err
		}
	}
	extra, err := parseKVs("--command-property", append(append([]string{}, o.oldConsumerProps...), o.consumerProps...))
	if err != nil {
		return nil, err
	}
	return mergeProps(props, extra), nil
}

// consume polls and prints until --max-messages, --timeout-ms without a
// message, or ctx cancellation (all of which end normally). It returns the
// number of messages printed.
func (o *consoleConsumerOptions) consume(ctx context.Context, cl *kgo.Client, f *messageFormatter, stdout, stderr io.Writer) (int, error) {
	w := bufio.NewWriterSize(stdout, 64<<10)
	var line bytes.Buffer
	n := 0
	for o.maxMessages <= 0 || n < o.maxMessages {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if o.timeoutMs > 0 {
			pollCtx, cancel = context.WithTimeout(ctx, time.Duration(o.timeoutMs)*time.Millisecond)
		}
		limit := -1
		if o.maxMessages > 0 {
			limit = o.maxMessages - n
		}
		fetches := cl.PollRecords(pollCtx, limit)
		timedOut := pollCtx.Err() != nil
		cancel()
		if fetches.IsClientClosed() || ctx.Err() != nil {
			break
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
				fmt.Fprintf(stderr, "Error consuming %s[%d]: %v\n", fe.Topic, fe.Partition, fe.Err)
			}
		}
		var formatErr error
		fetches.EachRecord(func(r *kgo.Record) {
			if formatErr != nil {
				return
			}
			// Counted before it is formatted, as Kafka's tool counts it;
			// a record that fails to format prints nothing of itself.
			n++
			line.Reset()
			if err := f.format(&line, r); err != nil {
				if !o.skipOnError {
					formatErr = err
					return
				}
				fmt.Fprintf(stderr, "ERROR Error processing message, skipping this message: %v\n", err)
				return
			}
			w.Write(line.Bytes())
		})
		if formatErr != nil {
			_ = w.Flush()
			return n, formatErr
		}
		if err := w.Flush(); err != nil {
			if errors.Is(err, syscall.EPIPE) {
				return n, nil
			}
			return n, fmt.Errorf("write output: %w", err)
		}
		if timedOut && fetches.NumRecords() == 0 {
			break
		}
	}
	return n, nil
}
