package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// leaderElectionOptions holds the flags of kafka-leader-election.sh.
type leaderElectionOptions struct {
	bootstrap, adminConfig string
	electionType           string
	topic                  string
	partition              int32
	allTopicPartitions     bool
	jsonFile               string

	partitionSet bool
}

func newLeaderElectionCmd() *cobra.Command {
	o := &leaderElectionOptions{}
	cmd := &cobra.Command{
		Use:   "leader-election",
		Short: "Elect preferred or unclean partition leaders (kafka-leader-election.sh)",
		Long: `Asks the controller to elect leaders: PREFERRED moves leadership to each partition's
preferred replica (the first in its replica list) if it is in sync; UNCLEAN gives a
partition without a live leader one, from outside the ISR if it must (records only the
ISR had may be lost).`,
		Example: `  samsa leader-election --bootstrap-server localhost:9092 --election-type PREFERRED --all-topic-partitions
  samsa leader-election --bootstrap-server localhost:9092 --election-type PREFERRED --topic orders --partition 0
  samsa leader-election --bootstrap-server localhost:9092 --election-type UNCLEAN --path-to-json-file parts.json`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.partitionSet = cmd.Flags().Changed("partition")
			typ, err := o.validate()
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), typ)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.adminConfig, "admin.config", "", "properties file with client settings (client.id, request.timeout.ms)")
	f.StringVar(&o.electionType, "election-type", "", "REQUIRED: PREFERRED or UNCLEAN")
	f.StringVar(&o.topic, "topic", "", "the topic of the partition to elect a leader for (with --partition)")
	f.Int32Var(&o.partition, "partition", 0, "the partition to elect a leader for (with --topic)")
	f.BoolVar(&o.allTopicPartitions, "all-topic-partitions", false, "elect leaders for every partition that needs one")
	f.StringVar(&o.jsonFile, "path-to-json-file", "", `the partitions, as {"partitions":[{"topic":"foo","partition":1}]}`)
	return cmd
}

// validate checks the flags as Kafka's LeaderElectionCommand does and
// returns the election type.
func (o *leaderElectionOptions) validate() (kadm.ElectLeadersHow, error) {
	var typ kadm.ElectLeadersHow
	switch strings.ToUpper(o.electionType) {
	case "PREFERRED":
		typ = kadm.ElectPreferredReplica
	case "UNCLEAN":
		typ = kadm.ElectLiveReplica
	case "":
		return 0, usageErrorf("missing required argument --election-type (PREFERRED or UNCLEAN)")
	default:
		return 0, usageErrorf("invalid --election-type %q: want PREFERRED or UNCLEAN", o.electionType)
	}
	n := 0
	for _, set := range []bool{o.topic != "", o.allTopicPartitions, o.jsonFile != ""} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return 0, usageErrorf("one and only one of the following options is required: --all-topic-partitions, --topic, --path-to-json-file")
	case o.topic != "" && !o.partitionSet:
		return 0, usageErrorf("missing required option --partition (with --topic)")
	case o.partitionSet && o.topic == "":
		return 0, usageErrorf("option --partition is only valid with --topic")
	case o.partitionSet && o.partition < 0:
		return 0, usageErrorf("--partition must not be negative")
	}
	return typ, nil
}

func (o *leaderElectionOptions) run(ctx context.Context, out io.Writer, typ kadm.ElectLeadersHow) error {
	cc, err := newClientConfig(o.bootstrap, o.adminConfig, nil)
	if err != nil {
		return err
	}
	set := kadm.TopicsSet{}
	switch {
	case o.topic != "":
		set.Add(o.topic, o.partition)
	case o.jsonFile != "":
		data, err := readJSONFile("--path-to-json-file", o.jsonFile)
		if err != nil {
			return err
		}
		if set, err = parseElectionPartitions(data); err != nil {
			return err
		}
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	res, err := kadm.NewClient(cl).ElectLeaders(ctx, typ, set)
	if err != nil {
		return cc.timeoutError("elect leaders", err)
	}
	return printElection(out, strings.ToUpper(o.electionType), res)
}

// parseElectionPartitions reads {"partitions":[{"topic":"t","partition":0}]}.
func parseElectionPartitions(data []byte) (kadm.TopicsSet, error) {
	var f struct {
		Partitions []struct {
			Topic     string `json:"topic"`
			Partition *int32 `json:"partition"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse --path-to-json-file: %w", err)
	}
	set := kadm.TopicsSet{}
	var dups []string
	for _, p := range f.Partitions {
		if p.Topic == "" || p.Partition == nil || *p.Partition < 0 {
			return nil, fmt.Errorf("--path-to-json-file: every entry needs a topic and a partition")
		}
		if _, ok := set[p.Topic][*p.Partition]; ok {
			dups = append(dups, p.Topic+"-"+strconv.Itoa(int(*p.Partition)))
		}
		set.Add(p.Topic, *p.Partition)
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("replica election data contains duplicate partitions: %s", strings.Join(dups, ","))
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("--path-to-json-file lists no partitions")
	}
	return set, nil
}

// printElection prints the outcome as Kafka's tool does and fails when
// any partition could not be elected.
func printElection(out io.Writer, typ string, res kadm.ElectLeadersResults) error {
	var done, noop, failed []string
	var fails []string
	for _, r := range sortedElections(res) {
		name := r.Topic + "-" + strconv.Itoa(int(r.Partition))
		switch {
		case r.Err == nil:
			done = append(done, name)
		case errors.Is(r.Err, kerr.ElectionNotNeeded):
			noop = append(noop, name)
		default:
			failed = append(failed, name)
			msg := r.Err.Error()
			var ke *kerr.Error
			if r.ErrMessage != "" && errors.As(r.Err, &ke) {
				msg = ke.Message + ": " + r.ErrMessage // the broker's message says more than the code's
			}
			fails = append(fails, fmt.Sprintf("Error completing leader election (%s) for partition: %s: %s", typ, name, msg))
		}
	}
	if len(done) > 0 {
		fmt.Fprintf(out, "Successfully completed leader election (%s) for partitions %s\n", typ, strings.Join(done, ", "))
	}
	if len(noop) > 0 {
		fmt.Fprintf(out, "Valid replica already elected for partitions %s\n", strings.Join(noop, ", "))
	}
	for _, line := range fails {
		fmt.Fprintln(out, line)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d replica(s) could not be elected", len(failed))
	}
	return nil
}

func sortedElections(res kadm.ElectLeadersResults) []kadm.ElectLeadersResult {
	var all []kadm.ElectLeadersResult
	for _, ps := range res {
		for _, r := range ps {
			all = append(all, r)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Topic != all[j].Topic {
			return all[i].Topic < all[j].Topic
		}
		return all[i].Partition < all[j].Partition
	})
	return all
}
