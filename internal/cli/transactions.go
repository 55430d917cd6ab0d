package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// transactionsOptions holds the flags of kafka-transactions.sh.
type transactionsOptions struct {
	bootstrap, commandConfig string
	zookeeper                string
	txnID, topic             string
	partition                int32
	startOffset              int64
}

func newTransactionsCmd() *cobra.Command {
	o := &transactionsOptions{partition: -1, startOffset: -1}
	cmd := &cobra.Command{
		Use:   "transactions",
		Short: "List, describe and abort transactions (kafka-transactions.sh)",
		Long: `Shows the transaction coordinators' state (list, describe), the producers a
partition leader knows (describe-producers), and aborts a hanging transaction
by writing an abort marker to its partition (abort), like kafka-transactions.sh.`,
		Example: `  samsa transactions --bootstrap-server localhost:9092 list
  samsa transactions --bootstrap-server localhost:9092 describe --transactional-id my-app
  samsa transactions --bootstrap-server localhost:9092 describe-producers --topic orders --partition 0
  samsa transactions --bootstrap-server localhost:9092 abort --topic orders --partition 0 --start-offset 42`,
		Args: requireNoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := zookeeperError(o.zookeeper); err != nil {
				return err
			}
			return usageErrorf("missing command: list, describe, describe-producers or abort")
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	pf.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings")
	addZookeeperFlag(pf, &o.zookeeper)
	sub := func(use, short string, run func(context.Context, *kadm.Client, *kgo.Client, io.Writer) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: requireNoArgs,
			RunE: func(c *cobra.Command, _ []string) error { return o.run(c.Context(), c.OutOrStdout(), run) }}
	}
	list := sub("list", "List the transactional ids every coordinator knows", o.list)
	describe := sub("describe", "Describe one transactional id", o.describe)
	describe.Flags().StringVar(&o.txnID, "transactional-id", "", "REQUIRED: the transactional id")
	producers := sub("describe-producers", "Describe the producers of a partition", o.describeProducers)
	abort := sub("abort", "Abort the open transaction starting at an offset of a partition", o.abort)
	for _, c := range []*cobra.Command{producers, abort} {
		c.Flags().StringVar(&o.topic, "topic", "", "REQUIRED: the topic")
		c.Flags().Int32Var(&o.partition, "partition", -1, "REQUIRED: the partition")
	}
	abort.Flags().Int64Var(&o.startOffset, "start-offset", -1, "REQUIRED: first offset of the transaction to abort")
	cmd.AddCommand(list, describe, producers, abort)
	return cmd
}

func (o *transactionsOptions) run(ctx context.Context, out io.Writer,
	fn func(context.Context, *kadm.Client, *kgo.Client, io.Writer) error) error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	if o.bootstrap == "" {
		return usageErrorf("missing required argument --bootstrap-server")
	}
	_, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.commandConfig)
	if err != nil {
		return err
	}
	defer done()
	return fn(ctx, kadm.NewClient(cl), cl, out)
}

func (o *transactionsOptions) list(ctx context.Context, adm *kadm.Client, _ *kgo.Client, out io.Writer) error {
	l, err := adm.ListTransactions(ctx, nil, nil)
	if err != nil {
		return fmt.Errorf("list transactions: %w", err)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "TransactionalId\tCoordinator\tProducerId\tTransactionState")
	for _, t := range l.Sorted() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", t.TxnID, t.Coordinator, t.ProducerID, t.State)
	}
	return tw.Flush()
}

func (o *transactionsOptions) describe(ctx context.Context, adm *kadm.Client, _ *kgo.Client, out io.Writer) error {
	if o.txnID == "" {
		return usageErrorf("missing required argument --transactional-id")
	}
	d, err := adm.DescribeTransactions(ctx, o.txnID)
	if err != nil {
		return fmt.Errorf("describe transaction %s: %w", o.txnID, err)
	}
	t, ok := d[o.txnID]
	if !ok {
		return fmt.Errorf("describe transaction %s: no answer", o.txnID)
	}
	if t.Err != nil {
		return fmt.Errorf("describe transaction %s: %w", o.txnID, t.Err)
	}
	start, duration := "None", "None"
	if t.StartTimestamp >= 0 {
		start = fmt.Sprint(t.StartTimestamp)
		duration = fmt.Sprint(time.Now().UnixMilli() - t.StartTimestamp)
	}
	var parts []string
	for _, tp := range t.Topics.Sorted() {
		for _, p := range tp.Partitions {
			parts = append(parts, fmt.Sprintf("%s-%d", tp.Topic, p))
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "CoordinatorId\tTransactionalId\tProducerId\tProducerEpoch\tTransactionState\tTransactionTimeoutMs\tCurrentTransactionStartTimeMs\tTransactionDurationMs\tTopicPartitions")
	fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\n", t.Coordinator, t.TxnID, t.ProducerID, t.ProducerEpoch,
		t.State, t.TimeoutMillis, start, duration, joinOrNone(parts))
	return tw.Flush()
}

func joinOrNone(s []string) string {
	if len(s) == 0 {
		return "None"
	}
	out := s[0]
	for _, x := range s[1:] {
		out += "," + x
	}
	return out
}

func (o *transactionsOptions) producers(ctx context.Context, adm *kadm.Client) ([]kadm.DescribedProducer, error) {
	if o.topic == "" || o.partition < 0 {
		return nil, usageErrorf("missing required arguments --topic and --partition")
	}
	dp, err := adm.DescribeProducers(ctx, kadm.TopicsSet{o.topic: {o.partition: {}}})
	if err != nil {
		return nil, fmt.Errorf("describe producers of %s-%d: %w", o.topic, o.partition, err)
	}
	var out []kadm.DescribedProducer
	var perr error
	dp.EachPartition(func(p kadm.DescribedProducersPartition) {
		if p.Err != nil {
			perr = p.Err
		}
		for _, pr := range p.ActiveProducers {
			out = append(out, pr)
		}
	})
	if perr != nil {
		return nil, fmt.Errorf("describe producers of %s-%d: %w", o.topic, o.partition, perr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out, nil
}

func (o *transactionsOptions) describeProducers(ctx context.Context, adm *kadm.Client, _ *kgo.Client, out io.Writer) error {
	prs, err := o.producers(ctx, adm)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "ProducerId\tProducerEpoch\tLatestCoordinatorEpoch\tLastSequence\tLastTimestamp\tCurrentTransactionStartOffset")
	for _, p := range prs {
		start := "None"
		if p.CurrentTxnStartOffset >= 0 {
			start = fmt.Sprint(p.CurrentTxnStartOffset)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%s\n", p.ProducerID, p.ProducerEpoch, p.CoordinatorEpoch, p.LastSequence,
			p.LastTimestamp, start)
	}
	return tw.Flush()
}

// abort writes an abort marker for the producer whose open transaction
// starts at --start-offset, straight to the partition leader (Kafka's
// Admin.abortTransaction): the way to unblock a partition whose LSO is
// held by a transaction its coordinator no longer knows.
func (o *transactionsOptions) abort(ctx context.Context, adm *kadm.Client, cl *kgo.Client, out io.Writer) error {
	if o.startOffset < 0 {
		return usageErrorf("missing required argument --start-offset")
	}
	prs, err := o.producers(ctx, adm)
	if err != nil {
		return err
	}
	for _, p := range prs {
		if p.CurrentTxnStartOffset != o.startOffset {
			continue
		}
		req := kmsg.NewPtrWriteTxnMarkersRequest()
		m := kmsg.NewWriteTxnMarkersRequestMarker()
		m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = p.ProducerID, p.ProducerEpoch, false, p.CoordinatorEpoch
		t := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
		t.Topic, t.Partitions = o.topic, []int32{o.partition}
		m.Topics = append(m.Topics, t)
		req.Markers = append(req.Markers, m)
		resp, err := req.RequestWith(ctx, cl.Broker(int(p.Leader)))
		if err != nil {
			return fmt.Errorf("abort transaction of producer %d: %w", p.ProducerID, err)
		}
		for _, rm := range resp.Markers {
			for _, rt := range rm.Topics {
				for _, rp := range rt.Partitions {
					if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
						return fmt.Errorf("abort transaction of producer %d: %w", p.ProducerID, err)
					}
				}
			}
		}
		fmt.Fprintf(out, "Aborted the transaction of producer %d (epoch %d) starting at offset %d of %s-%d\n",
			p.ProducerID, p.ProducerEpoch, o.startOffset, o.topic, o.partition)
		return nil
	}
	return fmt.Errorf("no open transaction starts at offset %d of %s-%d", o.startOffset, o.topic, o.partition)
}
