package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerGroupsOptions holds the flags of kafka-consumer-groups.sh.
type consumerGroupsOptions struct {
	bootstrap, commandConfig string
	timeoutMs                int

	list, describe, delete, resetOffsets, deleteOffsets bool

	groups    []string
	allGroups bool
	topics    []string
	allTopics bool

	members, offsets, verbose bool
	state                     string // "" unset; stateAll for a bare --state
	groupType                 string // --type: "" unset; stateAll when bare

	toEarliest, toLatest, toCurrent bool
	toOffset, shiftBy               int64
	toDatetime, byDuration          string
	execute, dryRun                 bool
	export                          bool
	fromFile                        string

	set map[string]bool // flags given on the command line
}

// stateAll is the value of a bare --state: with --list, every state.
const stateAll = "*"

func newConsumerGroupsCmd() *cobra.Command {
	o := &consumerGroupsOptions{}
	cmd := &cobra.Command{
		Use:   "consumer-groups",
		Short: "List, describe, delete consumer groups and reset their offsets (kafka-consumer-groups.sh)",
		Long: `Lists consumer groups, describes their committed offsets, lag, members and state, resets
their committed offsets (a dry run unless --execute) and deletes groups or their offsets.
Offsets can only be reset while the group has no active members.`,
		Example: `  samsa consumer-groups --bootstrap-server localhost:9092 --list --state Stable
  samsa consumer-groups --bootstrap-server localhost:9092 --describe --group audit
  samsa consumer-groups --bootstrap-server localhost:9092 --describe --group audit --members --verbose
  samsa consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit --topic orders --to-earliest --execute
  samsa consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit --topic orders:0,1 --shift-by -10
  samsa consumer-groups --bootstrap-server localhost:9092 --delete --group audit`,
		Args: o.args,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.set = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { o.set[f.Name] = true })
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd)
	return cmd
}

func (o *consumerGroupsOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings (client.id, request.timeout.ms)")
	f.IntVar(&o.timeoutMs, "timeout", 5000, "timeout in milliseconds for each admin request")
	f.BoolVar(&o.list, "list", false, "list all consumer groups")
	f.BoolVar(&o.describe, "describe", false, "describe the given groups: offsets and lag (default), --members or --state")
	f.BoolVar(&o.delete, "delete", false, "delete the given groups, which must have no active members")
	f.BoolVar(&o.resetOffsets, "reset-offsets", false, "reset the committed offsets of inactive groups (a dry run unless --execute)")
	f.BoolVar(&o.deleteOffsets, "delete-offsets", false, "delete the committed offsets of --group for --topic")
	f.StringArrayVar(&o.groups, "group", nil, "a consumer group (repeatable)")
	f.BoolVar(&o.allGroups, "all-groups", false, "act on every consumer group")
	f.StringArrayVar(&o.topics, "topic", nil, "a topic, or topic:0,1,2 for some partitions, to reset or delete offsets of (repeatable)")
	f.BoolVar(&o.allTopics, "all-topics", false, "with --reset-offsets: every topic the group has committed offsets for")
	f.BoolVar(&o.members, "members", false, "with --describe: show the members of the group")
	f.BoolVar(&o.offsets, "offsets", false, "with --describe: show committed offsets and lag (the default)")
	f.BoolVar(&o.verbose, "verbose", false, "with --describe: more detail (assignments of --members)")
	f.StringVar(&o.state, "state", "", "with --describe: show the group's state; with --list: show states, or only groups in these comma-separated states (--state=Stable,Empty)")
	f.Lookup("state").NoOptDefVal = stateAll
	f.StringVar(&o.groupType, "type", "", "with --list: show group types, or only groups of these comma-separated types (--type=classic,consumer)")
	f.Lookup("type").NoOptDefVal = stateAll
	f.BoolVar(&o.toEarliest, "to-earliest", false, "reset offsets to the earliest offset")
	f.BoolVar(&o.toLatest, "to-latest", false, "reset offsets to the latest offset")
	f.BoolVar(&o.toCurrent, "to-current", false, "reset offsets to the current committed offset")
	f.Int64Var(&o.toOffset, "to-offset", 0, "reset offsets to this offset (kept within the log)")
	f.Int64Var(&o.shiftBy, "shift-by", 0, "shift the committed offsets by N, which may be negative")
	f.StringVar(&o.toDatetime, "to-datetime", "", "reset offsets to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss[Z|±hh:mm] (UTC without a zone)")
	f.StringVar(&o.byDuration, "by-duration", "", "reset offsets to the first offset at or after now minus a duration PnDTnHnMnS")
	f.BoolVar(&o.execute, "execute", false, "with --reset-offsets: commit the new offsets")
	f.BoolVar(&o.dryRun, "dry-run", false, "with --reset-offsets: only print the new offsets (the default)")
	f.BoolVar(&o.export, "export", false, "with --reset-offsets: print the plan as CSV (topic,partition,offset; with the group first unless one --group), for --from-file")
	f.StringVar(&o.fromFile, "from-file", "", "with --reset-offsets: reset to the offsets in this CSV file (as --export writes it)")
}

// args accepts Kafka's "--list --state Stable": pflag gives an optional-value
// flag its value only with "=", so the states arrive as a positional word.
func (o *consumerGroupsOptions) args(cmd *cobra.Command, args []string) error {
	if len(args) == 1 && o.list && o.state == stateAll && o.groupType != stateAll {
		o.state = args[0]
		return nil
	}
	if len(args) == 1 && o.list && o.groupType == stateAll && o.state != stateAll {
		o.groupType = args[0]
		return nil
	}
	return requireNoArgs(cmd, args)
}

func (o *consumerGroupsOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	cc, err := newClientConfig(o.bootstrap, o.commandConfig, nil)
	if err != nil {
		return err
	}
	if o.set["timeout"] {
		cc.timeout = time.Duration(o.timeoutMs) * time.Millisecond
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	g := &groupsRun{o: o, cc: cc, cl: cl, adm: kadm.NewClient(cl), out: stdout, errOut: stderr}
	switch {
	case o.list && o.groupType != "":
		err = g.listTypedGroups(ctx)
	case o.list:
		err = g.listGroups(ctx)
	case o.describe:
		err = g.describeGroups(ctx)
	case o.delete:
		err = g.deleteGroups(ctx)
	case o.resetOffsets:
		err = g.resetOffsets(ctx)
	default:
		err = g.deleteGroupOffsets(ctx)
	}
	return err
}

// groupsRun is one execution of the consumer-groups tool.
type groupsRun struct {
	o           *consumerGroupsOptions
	resetPlan   resetPlanFile // --from-file, read on first use
	cc          *clientConfig
	cl          *kgo.Client
	adm         *kadm.Client
	out, errOut io.Writer
}

// listedConsumerGroups lists the groups Kafka's tool lists: consumer groups
// of either protocol and groups that only commit offsets (no protocol type).
func (g *groupsRun) listedConsumerGroups(ctx context.Context, states []string) ([]kadm.ListedGroup, error) {
	listed, err := g.adm.ListGroups(ctx, states...)
	if err != nil {
		return nil, g.cc.timeoutError("list groups", err)
	}
	var out []kadm.ListedGroup
	for _, lg := range listed.Sorted() {
		if lg.ProtocolType == "consumer" || lg.ProtocolType == "" {
			out = append(out, lg)
		}
	}
	return out, nil
}

func (g *groupsRun) listGroups(ctx context.Context) error {
	states, err := parseGroupStates(g.o.state)
	if err != nil {
		return err
	}
	listed, err := g.listedConsumerGroups(ctx, states)
	if err != nil {
		return err
	}
	if g.o.state == "" {
		for _, lg := range listed {
			fmt.Fprintln(g.out, lg.Group)
		}
		return nil
	}
	fmt.Fprint(g.out, formatGroupList(listed))
	return nil
}

// groupIDs returns --group, or every consumer group with --all-groups,
// once each has a coordinator (see waitGroupCoordinators).
func (g *groupsRun) groupIDs(ctx context.Context) ([]string, error) {
	ids := dedupe(g.o.groups)
	if g.o.allGroups {
		listed, err := g.listedConsumerGroups(ctx, nil)
		if err != nil {
			return nil, err
		}
		ids = make([]string, len(listed))
		for i, lg := range listed {
			ids[i] = lg.Group
		}
	}
	if err := waitGroupCoordinators(ctx, g.cl, ids); err != nil {
		return nil, err
	}
	return ids, nil
}

func (g *groupsRun) deleteGroups(ctx context.Context) error {
	ids, err := g.groupIDs(ctx)
	if err != nil {
		return err
	}
	resp, err := g.adm.DeleteGroups(ctx, ids...)
	if err != nil {
		return g.cc.timeoutError("delete groups", err)
	}
	var ok, failed []string
	var errs []error
	for _, id := range ids {
		r, found := resp[id]
		switch {
		case !found:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: no response from the coordinator", id))
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %v", id, r.Err))
			errs = append(errs, fmt.Errorf("delete group %s: %w", id, r.Err))
		default:
			ok = append(ok, "'"+id+"'")
		}
	}
	if len(failed) == 0 {
		fmt.Fprintf(g.out, "Deletion of requested consumer groups (%s) was successful.\n", strings.Join(ok, ", "))
		return nil
	}
	fmt.Fprintf(g.errOut, "Error: Deletion of some consumer groups failed:\n%s\n", strings.Join(failed, "\n"))
	if len(ok) > 0 {
		fmt.Fprintf(g.out, "\nThese consumer groups were deleted successfully: %s\n", strings.Join(ok, ", "))
	}
	return &reportedError{err: errors.Join(errs...)}
}

// reportedError is a failure whose message was already printed in Kafka's
// own (multi-line) format: it prints nothing more and exits with 1.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return "" }
func (e *reportedError) Unwrap() error { return e.err }

// dedupe drops repeated strings, keeping the first occurrence's order.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// sortedTopics returns the keys of a topic map in order.
func sortedTopics[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
