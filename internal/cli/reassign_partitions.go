package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// reassignOptions holds the flags of kafka-reassign-partitions.sh.
type reassignOptions struct {
	bootstrap, commandConfig, zookeeper string

	generate, execute, verify, cancel, list bool

	topicsFile, reassignmentFile, brokerList string

	additional, disableRackAware, preserveThrottles bool
	throttle, logDirThrottle                        int64
	timeoutMs                                       int64

	rng *rand.Rand // --generate's placement; nil means a fresh random source
}

func newReassignPartitionsCmd() *cobra.Command {
	o := &reassignOptions{}
	cmd := &cobra.Command{
		Use:   "reassign-partitions",
		Short: "Move partition replicas between brokers (kafka-reassign-partitions.sh)",
		Long: `Moves partition replicas between brokers (KIP-455 reassignments). --generate proposes a
placement of the given topics on the given brokers, --execute starts the moves in a
reassignment JSON file, --verify reports their progress, --cancel reverts those still
running and --list shows every reassignment in progress.`,
		Example: `  echo '{"topics":[{"topic":"orders"}],"version":1}' > topics.json
  samsa reassign-partitions --bootstrap-server localhost:9092 --topics-to-move-json-file topics.json --broker-list 2,3,4 --generate
  samsa reassign-partitions --bootstrap-server localhost:9092 --reassignment-json-file plan.json --execute
  samsa reassign-partitions --bootstrap-server localhost:9092 --reassignment-json-file plan.json --verify
  samsa reassign-partitions --bootstrap-server localhost:9092 --reassignment-json-file plan.json --cancel`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings (client.id, request.timeout.ms)")
	addZookeeperFlag(f, &o.zookeeper)
	f.BoolVar(&o.generate, "generate", false, "generate a candidate partition reassignment configuration (does not execute it)")
	f.BoolVar(&o.execute, "execute", false, "start the reassignment in --reassignment-json-file")
	f.BoolVar(&o.verify, "verify", false, "report whether the reassignment in --reassignment-json-file completed")
	f.BoolVar(&o.cancel, "cancel", false, "cancel the still running reassignments of --reassignment-json-file")
	f.BoolVar(&o.list, "list", false, "list every partition reassignment in progress")
	f.StringVar(&o.topicsFile, "topics-to-move-json-file", "", `with --generate: the topics to move, as {"topics":[{"topic":"foo"}],"version":1}`)
	f.StringVar(&o.reassignmentFile, "reassignment-json-file", "", `the reassignment: {"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}`)
	f.StringVar(&o.brokerList, "broker-list", "", `with --generate: the brokers to place the topics on, "1,2,3"`)
	f.BoolVar(&o.additional, "additional", false, "with --execute: start even though other reassignments are in progress")
	f.BoolVar(&o.disableRackAware, "disable-rack-aware", false, "with --generate: ignore broker racks (placement is rack-unaware either way)")
	f.BoolVar(&o.preserveThrottles, "preserve-throttles", false, "accepted for compatibility (Samsa sets no replication throttles)")
	f.Int64Var(&o.throttle, "throttle", -1, "not supported: inter-broker replication throttle in bytes/s")
	f.Int64Var(&o.logDirThrottle, "replica-alter-log-dirs-throttle", -1, "not supported: log dir move throttle in bytes/s")
	f.Int64Var(&o.timeoutMs, "timeout", 10000, "accepted for compatibility (log dir moves, which Samsa does not do); request.timeout.ms bounds requests")
	return cmd
}

// validate checks the flag combinations Kafka's ReassignPartitionsCommand
// checks.
func (o *reassignOptions) validate() error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{o.generate, o.execute, o.verify, o.cancel, o.list} {
		if b {
			n++
		}
	}
	if n != 1 {
		return usageErrorf("command must include exactly one action: --generate, --execute, --verify, --cancel or --list")
	}
	switch {
	case o.generate && (o.topicsFile == "" || o.brokerList == ""):
		return usageErrorf("--generate needs --topics-to-move-json-file and --broker-list")
	case (o.execute || o.verify || o.cancel) && o.reassignmentFile == "":
		return usageErrorf("missing required argument --reassignment-json-file")
	case !o.generate && (o.topicsFile != "" || o.brokerList != ""):
		return usageErrorf("--topics-to-move-json-file and --broker-list are only valid with --generate")
	case o.additional && !o.execute:
		return usageErrorf("--additional is only valid with --execute")
	case o.throttle >= 0 || o.logDirThrottle >= 0:
		return usageErrorf("--throttle and --replica-alter-log-dirs-throttle are not supported: Samsa does not throttle replication yet")
	}
	return nil
}

func (o *reassignOptions) run(ctx context.Context, out io.Writer) error {
	cc, err := newClientConfig(o.bootstrap, o.commandConfig, nil)
	if err != nil {
		return err
	}
	var moves []partitionMove
	if o.reassignmentFile != "" {
		data, err := readJSONFile("--reassignment-json-file", o.reassignmentFile)
		if err != nil {
			return err
		}
		if moves, err = parseReassignment(data); err != nil {
			return err
		}
	}
	var topics []string
	var brokers []int32
	if o.generate {
		data, err := readJSONFile("--topics-to-move-json-file", o.topicsFile)
		if err != nil {
			return err
		}
		if topics, err = parseTopicsToMove(data); err != nil {
			return err
		}
		if brokers, err = parseBrokerList(o.brokerList); err != nil {
			return err
		}
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	switch {
	case o.generate:
		err = o.runGenerate(ctx, adm, out, topics, brokers)
	case o.execute:
		err = o.runExecute(ctx, cl, out, moves)
	case o.verify:
		err = runVerify(ctx, adm, out, moves)
	case o.cancel:
		err = runCancel(ctx, adm, out, moves)
	default:
		err = runList(ctx, cl, out)
	}
	if err != nil {
		return cc.timeoutError("reassign partitions", err)
	}
	return nil
}

// currentAssignment returns the replicas of every partition of topics.
func currentAssignment(ctx context.Context, adm *kadm.Client, topics []string) ([]partitionMove, error) {
	details, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var cur []partitionMove
	for _, name := range topics {
		d, ok := details[name]
		if !ok || d.Err != nil {
			return nil, fmt.Errorf("topic %s not found", name)
		}
		for _, p := range d.Partitions {
			cur = append(cur, partitionMove{Topic: name, Partition: p.Partition, Replicas: p.Replicas})
		}
	}
	sortMoves(cur)
	return cur, nil
}

func (o *reassignOptions) runGenerate(ctx context.Context, adm *kadm.Client, out io.Writer, topics []string, brokers []int32) error {
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	var unknown []int32
	for _, id := range brokers {
		if !slices.ContainsFunc(meta.Brokers, func(b kadm.BrokerDetail) bool { return b.NodeID == id }) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("the following brokers are not registered: %s", joinIDs(unknown))
	}
	cur, err := currentAssignment(ctx, adm, topics)
	if err != nil {
		return err
	}
	rng := o.rng
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	var proposed []partitionMove
	for _, name := range topics {
		var parts []partitionMove
		for _, m := range cur {
			if m.Topic == name {
				parts = append(parts, m)
			}
		}
		if len(parts) == 0 {
			continue
		}
		lists, err := proposeAssignment(rng, brokers, int32(len(parts)), len(parts[0].Replicas))
		if err != nil {
			return err
		}
		for i, m := range parts {
			proposed = append(proposed, partitionMove{Topic: name, Partition: m.Partition, Replicas: lists[i]})
		}
	}
	fmt.Fprintf(out, "Current partition replica assignment\n%s\n\n", formatReassignment(cur))
	fmt.Fprintf(out, "Proposed partition reassignment configuration\n%s\n", formatReassignment(proposed))
	return nil
}

func (o *reassignOptions) runExecute(ctx context.Context, cl *kgo.Client, out io.Writer, moves []partitionMove) error {
	adm := kadm.NewClient(cl)
	cur, err := currentOf(ctx, adm, moves)
	if err != nil {
		return err
	}
	if !o.additional {
		ongoing, err := listAllReassignments(ctx, cl)
		if err != nil {
			return err
		}
		if len(ongoing) > 0 {
			return fmt.Errorf("cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one")
		}
	}
	fmt.Fprintf(out, "Current partition replica assignment\n\n%s\n\nSave this to use as the --reassignment-json-file option during rollback\n",
		formatReassignment(cur))
	var req kadm.AlterPartitionAssignmentsReq
	for _, m := range moves {
		req.Assign(m.Topic, m.Partition, m.Replicas)
	}
	resp, err := adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return err
	}
	if err := partitionErrors("Error reassigning partition(s):", resp); err != nil {
		return err
	}
	fmt.Fprintf(out, "Successfully started partition reassignment%s for %s\n", plural(len(moves)), moveNames(moves))
	return nil
}

// currentOf returns the current replicas of the partitions in moves,
// failing on a partition that does not exist.
func currentOf(ctx context.Context, adm *kadm.Client, moves []partitionMove) ([]partitionMove, error) {
	var topics []string
	for _, m := range moves {
		if !slices.Contains(topics, m.Topic) {
			topics = append(topics, m.Topic)
		}
	}
	all, err := currentAssignment(ctx, adm, topics)
	if err != nil {
		return nil, err
	}
	var cur []partitionMove
	for _, m := range moves {
		i := slices.IndexFunc(all, func(c partitionMove) bool { return c.name() == m.name() })
		if i < 0 {
			return nil, fmt.Errorf("unable to find partition: %s", m.name())
		}
		cur = append(cur, all[i])
	}
	return cur, nil
}

func runVerify(ctx context.Context, adm *kadm.Client, out io.Writer, moves []partitionMove) error {
	ongoing, err := adm.ListPartitionReassignments(ctx, movesSet(moves))
	if err != nil {
		return err
	}
	cur, err := currentOf(ctx, adm, moves)
	if err != nil {
		return err
	}
	sorted := slices.Clone(moves)
	sortMoves(sorted)
	fmt.Fprintln(out, "Status of partition reassignment:")
	for _, m := range sorted {
		if _, running := ongoing[m.Topic][m.Partition]; running {
			fmt.Fprintf(out, "Reassignment of partition %s is still in progress.\n", m.name())
			continue
		}
		i := slices.IndexFunc(cur, func(c partitionMove) bool { return c.name() == m.name() })
		if slices.Equal(cur[i].Replicas, m.Replicas) {
			fmt.Fprintf(out, "Reassignment of partition %s is completed.\n", m.name())
		} else {
			fmt.Fprintf(out, "There is no active reassignment of partition %s, but replica set is [%s] rather than [%s].\n",
				m.name(), joinIDs(cur[i].Replicas), joinIDs(m.Replicas))
		}
	}
	return nil
}

func runCancel(ctx context.Context, adm *kadm.Client, out io.Writer, moves []partitionMove) error {
	ongoing, err := adm.ListPartitionReassignments(ctx, movesSet(moves))
	if err != nil {
		return err
	}
	var req kadm.AlterPartitionAssignmentsReq
	var cancelled []partitionMove
	for _, m := range moves {
		if _, running := ongoing[m.Topic][m.Partition]; running {
			req.CancelAssign(m.Topic, m.Partition)
			cancelled = append(cancelled, m)
		}
	}
	if len(cancelled) == 0 {
		fmt.Fprintln(out, "None of the specified partition reassignments are active.")
		return nil
	}
	resp, err := adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return err
	}
	if err := partitionErrors("Error cancelling partition reassignment(s):", resp); err != nil {
		return err
	}
	fmt.Fprintf(out, "Successfully cancelled partition reassignment%s for: %s\n", plural(len(cancelled)), moveNames(cancelled))
	return nil
}

func runList(ctx context.Context, cl *kgo.Client, out io.Writer) error {
	ongoing, err := listAllReassignments(ctx, cl)
	if err != nil {
		return err
	}
	sorted := ongoing.Sorted()
	if len(sorted) == 0 {
		fmt.Fprintln(out, "No partition reassignments found.")
		return nil
	}
	fmt.Fprintln(out, "Current partition reassignments:")
	for _, r := range sorted {
		fmt.Fprintf(out, "%s-%d: replicas: %s. adding: %s. removing: %s.\n", r.Topic, r.Partition,
			joinIDs(r.Replicas), joinIDs(r.AddingReplicas), joinIDs(r.RemovingReplicas))
	}
	return nil
}

// partitionErrors collects per-partition failures into one error, a line
// per partition, as Kafka's tool prints them.
func partitionErrors(head string, resp kadm.AlterPartitionAssignmentsResponses) error {
	var lines []string
	for _, r := range resp.Sorted() {
		if r.Err == nil {
			continue
		}
		msg := r.Err.Error()
		var ke *kerr.Error
		if r.ErrMessage != "" && errors.As(r.Err, &ke) {
			msg = ke.Message + ": " + r.ErrMessage
		}
		lines = append(lines, fmt.Sprintf("%s-%d: %s", r.Topic, r.Partition, msg))
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("%s\n%s", head, strings.Join(lines, "\n"))
}

// listAllReassignments lists every reassignment in progress (a request
// with null topics, which kadm does not send).
func listAllReassignments(ctx context.Context, cl *kgo.Client) (kadm.ListPartitionReassignmentsResponses, error) {
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	out := kadm.ListPartitionReassignmentsResponses{}
	for _, t := range resp.Topics {
		ps := map[int32]kadm.ListPartitionReassignmentsResponse{}
		for _, p := range t.Partitions {
			ps[p.Partition] = kadm.ListPartitionReassignmentsResponse{Topic: t.Topic, Partition: p.Partition,
				Replicas: p.Replicas, AddingReplicas: p.AddingReplicas, RemovingReplicas: p.RemovingReplicas}
		}
		out[t.Topic] = ps
	}
	return out, nil
}

func movesSet(moves []partitionMove) kadm.TopicsSet {
	s := kadm.TopicsSet{}
	for _, m := range moves {
		s.Add(m.Topic, m.Partition)
	}
	return s
}

func moveNames(moves []partitionMove) string {
	sorted := slices.Clone(moves)
	sortMoves(sorted)
	names := make([]string, len(sorted))
	for i, m := range sorted {
		names[i] = m.name()
	}
	return strings.Join(names, ",")
}
