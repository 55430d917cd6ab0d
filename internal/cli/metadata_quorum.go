package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metadataQuorumOptions holds the flags of kafka-metadata-quorum.sh.
type metadataQuorumOptions struct {
	bootstrap, bootstrapController, commandConfig, zookeeper string
	status, replication, humanReadable                       bool
}

func newMetadataQuorumCmd() *cobra.Command {
	o := &metadataQuorumOptions{}
	cmd := &cobra.Command{
		Use:   "metadata-quorum",
		Short: "Describe the metadata quorum (kafka-metadata-quorum.sh)",
		Long: `Describes Samsa's metadata quorum (its Raft voters) as Kafka's
kafka-metadata-quorum.sh describes the KRaft quorum: --status prints the leader,
its epoch (the Raft term), the high watermark (the Raft commit index) and the
voters; --replication prints one line per member. The active controller answers
(another node forwards the request): a member's log end offset is the metadata offset
its broker last reported in a heartbeat, and -1 for a member that sends none.`,
		Example: `  samsa metadata-quorum --bootstrap-server localhost:9092 describe --status
  samsa metadata-quorum --bootstrap-server localhost:9092 describe --replication`,
	}
	asCommandGroup(cmd)
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	pf.StringVar(&o.bootstrapController, "bootstrap-controller", "", "not supported: use --bootstrap-server")
	pf.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings")
	addZookeeperFlag(pf, &o.zookeeper)
	describe := &cobra.Command{
		Use:   "describe",
		Short: "Describe the quorum: --status or --replication",
		Args:  requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := describe.Flags()
	f.BoolVar(&o.status, "status", false, "print the quorum's leader, epoch, high watermark and voters")
	f.BoolVar(&o.replication, "replication", false, "print each member's log end offset, lag and status")
	f.BoolVar(&o.humanReadable, "human-readable", false, "with --replication: times as 'N ms ago'")
	cmd.AddCommand(describe)
	return cmd
}

func (o *metadataQuorumOptions) validate() error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	if o.bootstrapController != "" {
		return usageErrorf("--bootstrap-controller is not supported: Samsa nodes answer on their client listener; use --bootstrap-server")
	}
	if o.status == o.replication {
		return usageErrorf("describe needs exactly one of --status or --replication")
	}
	if o.humanReadable && !o.replication {
		return usageErrorf("--human-readable is only valid with --replication")
	}
	return nil
}

// quorumInfo is a DescribeQuorum answer with the cluster ID.
type quorumInfo struct {
	clusterID string
	part      kmsg.DescribeQuorumResponseTopicPartition
}

func (o *metadataQuorumOptions) run(ctx context.Context, out io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.commandConfig)
	if err != nil {
		return err
	}
	defer done()
	md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return cc.timeoutError("metadata", err)
	}
	req := kmsg.NewPtrDescribeQuorumRequest()
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rp := kmsg.NewDescribeQuorumRequestTopicPartition()
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return cc.timeoutError("describe quorum", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("describe quorum: %w", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return fmt.Errorf("describe quorum: the broker answered for %d topics, want the metadata partition", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		return fmt.Errorf("describe quorum: %w", err)
	}
	info := quorumInfo{clusterID: md.Cluster, part: p}
	if o.status {
		fmt.Fprint(out, formatQuorumStatus(info))
		return nil
	}
	fmt.Fprint(out, formatQuorumReplication(info, time.Now(), o.humanReadable))
	return nil
}

// leaderLEO is the leader's log end offset, or -1 when unknown.
func leaderLEO(p kmsg.DescribeQuorumResponseTopicPartition) int64 {
	for _, v := range p.CurrentVoters {
		if v.ReplicaID == p.LeaderID {
			return v.LogEndOffset
		}
	}
	return -1
}

// formatQuorumStatus renders --status. Lags need every follower's log end
// offset; when one is unknown they are -1.
func formatQuorumStatus(q quorumInfo) string {
	p := q.part
	lead := leaderLEO(p)
	maxLag, maxLagMs := int64(0), int64(0)
	now := time.Now().UnixMilli()
	for _, v := range p.CurrentVoters {
		if v.ReplicaID == p.LeaderID {
			continue
		}
		if v.LogEndOffset < 0 || lead < 0 {
			maxLag, maxLagMs = -1, -1
			break
		}
		maxLag = max(maxLag, lead-v.LogEndOffset)
		if v.LastCaughtUpTimestamp >= 0 {
			maxLagMs = max(maxLagMs, now-v.LastCaughtUpTimestamp)
		}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "ClusterId:\t%s\n", q.clusterID)
	fmt.Fprintf(tw, "LeaderId:\t%d\n", p.LeaderID)
	fmt.Fprintf(tw, "LeaderEpoch:\t%d\n", p.LeaderEpoch)
	fmt.Fprintf(tw, "HighWatermark:\t%d\n", p.HighWatermark)
	fmt.Fprintf(tw, "MaxFollowerLag:\t%d\n", maxLag)
	fmt.Fprintf(tw, "MaxFollowerLagTimeMs:\t%d\n", maxLagMs)
	fmt.Fprintf(tw, "CurrentVoters:\t%s\n", replicaIDs(p.CurrentVoters))
	fmt.Fprintf(tw, "CurrentObservers:\t%s\n", replicaIDs(p.Observers))
	tw.Flush()
	return b.String()
}

func replicaIDs(rs []kmsg.DescribeQuorumResponseTopicPartitionReplicaState) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = strconv.Itoa(int(r.ReplicaID))
	}
	return "[" + strings.Join(ids, ",") + "]"
}

// formatQuorumReplication renders --replication: the leader first, then
// followers, then observers.
func formatQuorumReplication(q quorumInfo, now time.Time, human bool) string {
	p := q.part
	lead := leaderLEO(p)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus")
	row := func(r kmsg.DescribeQuorumResponseTopicPartitionReplicaState, status string) {
		lag := int64(-1)
		if lead >= 0 && r.LogEndOffset >= 0 {
			lag = lead - r.LogEndOffset
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\n", r.ReplicaID, r.LogEndOffset, lag,
			quorumTime(r.LastFetchTimestamp, now, human), quorumTime(r.LastCaughtUpTimestamp, now, human), status)
	}
	for _, v := range p.CurrentVoters {
		if v.ReplicaID == p.LeaderID {
			row(v, "Leader")
		}
	}
	for _, v := range p.CurrentVoters {
		if v.ReplicaID != p.LeaderID {
			row(v, "Follower")
		}
	}
	for _, v := range p.Observers {
		row(v, "Observer")
	}
	tw.Flush()
	return b.String()
}

func quorumTime(ms int64, now time.Time, human bool) string {
	switch {
	case ms < 0:
		return "-1"
	case human:
		return fmt.Sprintf("%d ms ago", max(now.UnixMilli()-ms, 0))
	}
	return strconv.FormatInt(ms, 10)
}
