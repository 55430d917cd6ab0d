package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// getOffsetsOptions holds the flags of kafka-get-offsets.sh.
type getOffsetsOptions struct {
	bootstrap, brokerList, commandConfig, zookeeper string
	topic, partitions, topicPartitions, time        string
	excludeInternal                                 bool
}

func newGetOffsetsCmd() *cobra.Command {
	o := &getOffsetsOptions{}
	cmd := &cobra.Command{
		Use:   "get-offsets",
		Short: "Print partition offsets for a time: latest, earliest, max timestamp or a timestamp (kafka-get-offsets.sh)",
		Long: `Prints topic:partition:offset for every matching partition, sorted, as Kafka's
kafka-get-offsets.sh does. --time is -1 or "latest" (the log end offset, the default),
-2 or "earliest" (the log start offset), -3 or "max-timestamp" (the offset of the
record with the largest timestamp) or a timestamp in milliseconds (the first offset
whose timestamp is at or after it). Partitions with no such offset are left out.`,
		Example: `  samsa get-offsets --bootstrap-server localhost:9092 --topic orders
  samsa get-offsets --bootstrap-server localhost:9092 --topic 'orders.*' --partitions 0,1 --time -2
  samsa get-offsets --bootstrap-server localhost:9092 --topic-partitions 'orders:0-2,payments' --time 1700000000000`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.brokerList, "broker-list", "", "deprecated alias of --bootstrap-server")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings")
	f.StringVar(&o.topic, "topic", "", "topic name or regular expression (default: all topics)")
	f.StringVar(&o.partitions, "partitions", "", "comma-separated partition ids (default: all); not with --topic-partitions")
	f.StringVar(&o.topicPartitions, "topic-partitions", "", "comma-separated topic:partitions specs: t, t:1, t:0-3, t:2-, t:-3 (topic may be a regex)")
	f.StringVar(&o.time, "time", "-1", "-1/latest, -2/earliest, -3/max-timestamp, or a timestamp in ms")
	f.BoolVar(&o.excludeInternal, "exclude-internal-topics", false, "leave out internal topics such as __consumer_offsets")
	addZookeeperFlag(f, &o.zookeeper)
	return cmd
}

// partitionFilter selects the partitions of the topics matching topic.
type partitionFilter struct {
	topic    *regexp.Regexp
	from, to int32 // inclusive range
	ids      map[int32]bool
}

func (p partitionFilter) match(topic string, part int32) bool {
	if !p.topic.MatchString(topic) {
		return false
	}
	if p.ids != nil {
		return p.ids[part]
	}
	return part >= p.from && part <= p.to
}

// parseOffsetTime maps --time to a ListOffsets timestamp.
func parseOffsetTime(s string) (int64, error) {
	switch strings.ToLower(s) {
	case "latest":
		return -1, nil
	case "earliest":
		return -2, nil
	case "max-timestamp":
		return -3, nil
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ts < -3 {
		return 0, usageErrorf("malformed time argument %s: use -1/latest, -2/earliest, -3/max-timestamp or a timestamp in milliseconds", s)
	}
	return ts, nil
}

// anchored compiles a topic regex that must match the whole name, as
// Java's Pattern.matches does.
func anchored(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		expr = ".*"
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, usageErrorf("invalid topic regular expression %q: %v", expr, err)
	}
	return re, nil
}

// filters builds the partition filters from --topic/--partitions or
// --topic-partitions.
func (o *getOffsetsOptions) filters() ([]partitionFilter, error) {
	if o.topicPartitions != "" {
		if o.topic != "" || o.partitions != "" {
			return nil, usageErrorf("--topic-partitions cannot be used with --topic or --partitions")
		}
		var out []partitionFilter
		for _, spec := range splitList(o.topicPartitions) {
			f, err := parseTopicPartitionSpec(spec)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, nil
	}
	re, err := anchored(o.topic)
	if err != nil {
		return nil, err
	}
	f := partitionFilter{topic: re, from: 0, to: math.MaxInt32}
	if o.partitions != "" {
		f.ids = map[int32]bool{}
		for _, p := range splitList(o.partitions) {
			n, err := strconv.ParseInt(p, 10, 32)
			if err != nil || n < 0 {
				return nil, usageErrorf("invalid partition %q in --partitions: want non-negative integers", p)
			}
			f.ids[int32(n)] = true
		}
	}
	return []partitionFilter{f}, nil
}

// parseTopicPartitionSpec parses "topic", "topic:N", "topic:N-M",
// "topic:N-" or "topic:-M" (a range end is exclusive, as in Kafka's tool).
func parseTopicPartitionSpec(spec string) (partitionFilter, error) {
	topic, parts, hasParts := strings.Cut(spec, ":")
	re, err := anchored(topic)
	if err != nil {
		return partitionFilter{}, err
	}
	f := partitionFilter{topic: re, from: 0, to: math.MaxInt32}
	if !hasParts {
		return f, nil
	}
	bad := usageErrorf("invalid --topic-partitions entry %q: want topic, topic:N, topic:N-M, topic:N- or topic:-M", spec)
	num := func(s string) (int32, error) {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 0 {
			return 0, bad
		}
		return int32(n), nil
	}
	lo, hi, isRange := strings.Cut(parts, "-")
	if !isRange {
		n, err := num(parts)
		f.from, f.to = n, n
		return f, err
	}
	if lo != "" {
		if f.from, err = num(lo); err != nil {
			return f, err
		}
	}
	if hi != "" {
		n, err := num(hi)
		if err != nil {
			return f, err
		}
		f.to = n - 1
	}
	if lo == "" && hi == "" {
		return f, bad
	}
	return f, nil
}

func (o *getOffsetsOptions) run(ctx context.Context, out, errOut io.Writer) error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	ts, err := parseOffsetTime(o.time)
	if err != nil {
		return err
	}
	filters, err := o.filters()
	if err != nil {
		return err
	}
	bootstrap := o.bootstrap
	if bootstrap == "" {
		bootstrap = o.brokerList
	}
	cc, err := newClientConfig(bootstrap, o.commandConfig, nil)
	if err != nil {
		return err
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	md, err := kadm.NewClient(cl).Metadata(ctx)
	if err != nil {
		return cc.timeoutError("metadata", err)
	}
	req := o.listOffsetsRequest(md, filters, ts)
	if len(req.Topics) == 0 {
		return fmt.Errorf("could not match any topic-partitions with the specified filters")
	}
	offsets := listOffsets(ctx, cl, req, errOut)
	for _, line := range formatListedOffsets(offsets) {
		fmt.Fprintln(out, line)
	}
	return nil
}

func (o *getOffsetsOptions) listOffsetsRequest(md kadm.Metadata, filters []partitionFilter, ts int64) *kmsg.ListOffsetsRequest {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for _, td := range md.Topics.Sorted() {
		if td.Err != nil || (o.excludeInternal && td.IsInternal) {
			continue
		}
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = td.Topic
		for _, pd := range td.Partitions.Sorted() {
			for _, f := range filters {
				if f.match(td.Topic, pd.Partition) {
					rp := kmsg.NewListOffsetsRequestTopicPartition()
					rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = pd.Partition, ts, -1
					rt.Partitions = append(rt.Partitions, rp)
					break
				}
			}
		}
		if len(rt.Partitions) > 0 {
			req.Topics = append(req.Topics, rt)
		}
	}
	return req
}

// listedOffset is one partition's answer.
type listedOffset struct {
	topic     string
	partition int32
	offset    int64
}

// listOffsets sends the request to every partition's leader (kgo shards
// it) and returns the offsets found; errors are reported on errOut per
// partition, as Kafka's tool does, and the partition is skipped.
func listOffsets(ctx context.Context, cl *kgo.Client, req *kmsg.ListOffsetsRequest, errOut io.Writer) []listedOffset {
	var out []listedOffset
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			fmt.Fprintf(errOut, "Skip getting offsets for some partitions due to error: %v\n", oneLine(shard.Err))
			continue
		}
		resp := shard.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					fmt.Fprintf(errOut, "Skip getting offsets for topic-partition %s:%d due to error: %v\n", t.Topic, p.Partition, err)
					continue
				}
				if p.Offset >= 0 {
					out = append(out, listedOffset{t.Topic, p.Partition, p.Offset})
				}
			}
		}
	}
	return out
}

func formatListedOffsets(offsets []listedOffset) []string {
	sort.Slice(offsets, func(i, j int) bool {
		if offsets[i].topic != offsets[j].topic {
			return offsets[i].topic < offsets[j].topic
		}
		return offsets[i].partition < offsets[j].partition
	})
	lines := make([]string, len(offsets))
	for i, o := range offsets {
		lines[i] = fmt.Sprintf("%s:%d:%d", o.topic, o.partition, o.offset)
	}
	return lines
}
