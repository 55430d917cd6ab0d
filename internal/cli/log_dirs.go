package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// logDirsOptions holds the flags of kafka-log-dirs.sh.
type logDirsOptions struct {
	bootstrap, commandConfig, zookeeper string
	brokerList, topicList               string
	describe                            bool
}

func newLogDirsCmd() *cobra.Command {
	o := &logDirsOptions{}
	cmd := &cobra.Command{
		Use:   "log-dirs",
		Short: "Describe brokers' log directories and the replicas in them (kafka-log-dirs.sh)",
		Long: `Asks brokers for their log directories (DescribeLogDirs) and prints, as Kafka's
kafka-log-dirs.sh does, two status lines and one JSON document: per broker, per
directory, the replicas it holds with their size in bytes.`,
		Example: `  samsa log-dirs --bootstrap-server localhost:9092 --describe
  samsa log-dirs --bootstrap-server localhost:9092 --describe --broker-list 1,2 --topic-list orders,payments`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings")
	f.BoolVar(&o.describe, "describe", false, "REQUIRED: describe the log directories")
	f.StringVar(&o.brokerList, "broker-list", "", "comma-separated broker ids to query (default: all brokers)")
	f.StringVar(&o.topicList, "topic-list", "", "comma-separated topics to include (default: all topics)")
	addZookeeperFlag(f, &o.zookeeper)
	return cmd
}

// The JSON document, in Kafka's field names.
type logDirsJSON struct {
	Version int             `json:"version"`
	Brokers []logDirsBroker `json:"brokers"`
}

type logDirsBroker struct {
	Broker  int32        `json:"broker"`
	LogDirs []logDirJSON `json:"logDirs"`
}

type logDirJSON struct {
	LogDir     string             `json:"logDir"`
	Error      *string            `json:"error"`
	Partitions []logDirPartitionJ `json:"partitions"`
}

type logDirPartitionJ struct {
	Partition string `json:"partition"`
	Size      int64  `json:"size"`
	OffsetLag int64  `json:"offsetLag"`
	IsFuture  bool   `json:"isFuture"`
}

func (o *logDirsOptions) validate() error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	if !o.describe {
		return usageErrorf("missing required argument --describe (the only action of log-dirs)")
	}
	_, err := parseBrokerIDs(o.brokerList)
	return err
}

func parseBrokerIDs(list string) ([]int32, error) {
	var ids []int32
	for _, s := range splitList(list) {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 0 {
			return nil, usageErrorf("invalid broker id %q in --broker-list: want non-negative integers", s)
		}
		ids = append(ids, int32(n))
	}
	return ids, nil
}

func (o *logDirsOptions) run(ctx context.Context, out io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.commandConfig)
	if err != nil {
		return err
	}
	defer done()
	adm := kadm.NewClient(cl)
	brokers, err := o.brokers(ctx, adm)
	if err != nil {
		return cc.timeoutError("list brokers", err)
	}
	var topics kadm.TopicsSet
	if o.topicList != "" {
		md, err := adm.Metadata(ctx, splitList(o.topicList)...)
		if err != nil {
			return cc.timeoutError("metadata", err)
		}
		topics = md.Topics.TopicsSet()
	}
	fmt.Fprintln(out, "Querying brokers for log directories information")
	doc := logDirsJSON{Version: 1}
	for _, id := range brokers {
		dirs, err := adm.DescribeBrokerLogDirs(ctx, id, topics)
		if err != nil {
			return cc.timeoutError(fmt.Sprintf("describe log dirs of broker %d", id), err)
		}
		doc.Brokers = append(doc.Brokers, logDirsBrokerJSON(id, dirs))
	}
	ids := make([]string, len(brokers))
	for i, id := range brokers {
		ids[i] = strconv.Itoa(int(id))
	}
	fmt.Fprintf(out, "Received log directory information from brokers %s\n", strings.Join(ids, ","))
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode log dirs: %w", err)
	}
	fmt.Fprintln(out, string(b))
	return nil
}

// brokers returns --broker-list, checked against the cluster, or every
// broker.
func (o *logDirsOptions) brokers(ctx context.Context, adm *kadm.Client) ([]int32, error) {
	live, err := adm.ListBrokers(ctx)
	if err != nil {
		return nil, err
	}
	all := live.NodeIDs()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	want, _ := parseBrokerIDs(o.brokerList)
	if len(want) == 0 {
		return all, nil
	}
	var missing []string
	for _, id := range want {
		found := false
		for _, a := range all {
			found = found || a == id
		}
		if !found {
			missing = append(missing, strconv.Itoa(int(id)))
		}
	}
	if len(missing) > 0 {
		have := make([]string, len(all))
		for i, id := range all {
			have[i] = strconv.Itoa(int(id))
		}
		return nil, usageErrorf("the given brokers do not exist from --broker-list: %s. Current existent brokers: %s",
			strings.Join(missing, ","), strings.Join(have, ","))
	}
	return want, nil
}

func logDirsBrokerJSON(id int32, dirs kadm.DescribedLogDirs) logDirsBroker {
	b := logDirsBroker{Broker: id, LogDirs: []logDirJSON{}}
	names := make([]string, 0, len(dirs))
	for name := range dirs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := dirs[name]
		j := logDirJSON{LogDir: name, Partitions: []logDirPartitionJ{}}
		if d.Err != nil {
			msg := d.Err.Error()
			j.Error = &msg
		}
		for _, p := range d.Topics.Sorted() {
			j.Partitions = append(j.Partitions, logDirPartitionJ{Partition: fmt.Sprintf("%s-%d", p.Topic, p.Partition),
				Size: p.Size, OffsetLag: p.OffsetLag, IsFuture: p.IsFuture})
		}
		b.LogDirs = append(b.LogDirs, j)
	}
	return b
}
