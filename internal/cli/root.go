package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// tool is one Kafka-compatible command: its samsa name, the Kafka script name
// it stands in for (without ".sh") and its constructor.
type tool struct {
	name  string
	kafka string
	build func(version string) *cobra.Command
}

// tools lists every Kafka-compatible tool. Adding a tool here makes it a
// subcommand, a multi-call name and an install-links target at once.
func tools() []tool {
	return []tool{
		{"server", "kafka-server-start", func(string) *cobra.Command { return newServerCmd() }},
		{"topics", "kafka-topics", func(string) *cobra.Command { return newTopicsCmd() }},
		{"configs", "kafka-configs", func(string) *cobra.Command { return newConfigsCmd() }},
		{"acls", "kafka-acls", func(string) *cobra.Command { return newACLsCmd() }},
		{"console-producer", "kafka-console-producer", func(string) *cobra.Command { return newConsoleProducerCmd() }},
		{"console-consumer", "kafka-console-consumer", func(string) *cobra.Command { return newConsoleConsumerCmd() }},
		{"consumer-groups", "kafka-consumer-groups", func(string) *cobra.Command { return newConsumerGroupsCmd() }},
		{"broker-api-versions", "kafka-broker-api-versions", func(string) *cobra.Command { return newBrokerAPIVersionsCmd() }},
		{"producer-perf-test", "kafka-producer-perf-test", func(string) *cobra.Command { return newProducerPerfCmd() }},
		{"consumer-perf-test", "kafka-consumer-perf-test", func(string) *cobra.Command { return newConsumerPerfCmd() }},
		{"storage", "kafka-storage", func(string) *cobra.Command { return newStorageCmd() }},
		{"reassign-partitions", "kafka-reassign-partitions", func(string) *cobra.Command { return newReassignPartitionsCmd() }},
		{"leader-election", "kafka-leader-election", func(string) *cobra.Command { return newLeaderElectionCmd() }},
		{"delete-records", "kafka-delete-records", func(string) *cobra.Command { return newDeleteRecordsCmd() }},
		{"get-offsets", "kafka-get-offsets", func(string) *cobra.Command { return newGetOffsetsCmd() }},
		{"dump-log", "kafka-dump-log", func(string) *cobra.Command { return newDumpLogCmd() }},
		{"log-dirs", "kafka-log-dirs", func(string) *cobra.Command { return newLogDirsCmd() }},
		{"metadata-quorum", "kafka-metadata-quorum", func(string) *cobra.Command { return newMetadataQuorumCmd() }},
		{"transactions", "kafka-transactions", func(string) *cobra.Command { return newTransactionsCmd() }},
		{"cluster", "kafka-cluster", func(string) *cobra.Command { return newClusterCmd() }},
	}
}

// NewRootCommand returns the samsa command tree. version is printed by
// "samsa version" and by --version on the root and on every tool.
func NewRootCommand(version string) *cobra.Command {
	root := &cobra.Command{
		Use:   "samsa",
		Short: "Samsa: a Kafka-compatible broker and its tools in one binary",
		Long: `Samsa is a Kafka-compatible broker in one binary. Its tools take the same flags as
the Apache Kafka scripts they replace: "samsa topics" works like bin/kafka-topics.sh.`,
		Example: `  samsa server configs/server.properties
  samsa topics --bootstrap-server localhost:9092 --create --topic t --partitions 3
  samsa install-links /usr/local/bin   # then: kafka-topics.sh --list --bootstrap-server localhost:9092`,
		Version:           version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetVersionTemplate("samsa {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	asCommandGroup(root)
	for _, t := range tools() {
		cmd := t.build(version)
		cmd.Aliases = append(cmd.Aliases, t.kafka)
		cmd.Version = version
		cmd.SetVersionTemplate("samsa {{.Version}}\n")
		guardZookeeper(cmd)
		root.AddCommand(cmd)
	}
	root.AddCommand(newVersionCmd(version), newInstallLinksCmd(), newHealthcheckCmd(), newVerifyCmd())
	return root
}

// flagError turns a flag parsing failure into one line that points at --help.
// On a command that only holds subcommands, a word before the bad flag is
// a mistyped command ("samsa topic --bootstrap-server ..."): that is the
// error to report, not the flag, which belongs to the command meant.
func flagError(cmd *cobra.Command, err error) error {
	if cmd.HasSubCommands() {
		if words := cmd.Flags().Args(); len(words) > 0 {
			return unknownCommand(cmd, words)
		}
	}
	return usageErrorf("%v (see '%s --help')", err, cmd.CommandPath())
}

// ResolveArgs implements multi-call dispatch. Given the full argv, it returns
// the arguments for the root command: when the program was invoked through a
// link named kafka-<tool> or kafka-<tool>.sh, the tool's name is put in front
// of the remaining arguments, so "kafka-topics.sh --list" runs "topics --list".
func ResolveArgs(argv []string) ([]string, error) {
	if len(argv) == 0 {
		return nil, nil
	}
	base := strings.TrimSuffix(filepath.Base(argv[0]), ".sh")
	if !strings.HasPrefix(base, "kafka-") {
		return joinOptionalValues(fixDaemonFlag(argv[1:])), nil
	}
	for _, t := range tools() {
		if t.kafka == base {
			return joinOptionalValues(fixDaemonFlag(append([]string{t.name}, argv[1:]...))), nil
		}
	}
	return nil, usageErrorf("samsa has no tool named %s (run 'samsa --help' for the list)", base)
}

// fixDaemonFlag rewrites kafka-server-start's single-dash "-daemon" to
// "--daemon", so that the server command can explain that it is not
// supported instead of failing on an unknown shorthand flag.
func fixDaemonFlag(args []string) []string {
	if len(args) == 0 || (args[0] != "server" && args[0] != "kafka-server-start") {
		return args
	}
	out := make([]string, len(args))
	for i, a := range args {
		if a == "-daemon" {
			a = "--daemon"
		}
		out[i] = a
	}
	return out
}

// optionalValueFlags are, per tool, the flags whose value Kafka's option
// parser makes optional but takes from the next word when there is one
// ("--list --type classic --state"). pflag takes an optional value only
// after "=", so joinOptionalValues writes them that way.
var optionalValueFlags = map[string][]string{
	"consumer-groups":       {"--state", "--type"},
	"kafka-consumer-groups": {"--state", "--type"},
}

// joinOptionalValues rewrites "--flag word" into "--flag=word" for the
// tool's optionalValueFlags, when word is not itself a flag.
func joinOptionalValues(args []string) []string {
	if len(args) == 0 {
		return args
	}
	flags := optionalValueFlags[args[0]]
	if len(flags) == 0 {
		return args
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if slices.Contains(flags, a) && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			a += "=" + args[i+1]
			i++
		}
		out = append(out, a)
	}
	return out
}

// kafkaScriptNames returns every link name install-links creates.
func kafkaScriptNames() []string {
	var names []string
	for _, t := range tools() {
		names = append(names, t.kafka+".sh", t.kafka)
	}
	return names
}

// unknownCommand rejects a word that names no command in one line, with
// cobra's suggestions folded in.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := ""
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf("did you mean %s? ", strings.Join(s, " or "))
	}
	return usageErrorf("unknown command %q (%ssee '%s --help')", args[0], hint, cmd.CommandPath())
}

// asCommandGroup makes a command that only holds subcommands print its help
// when run alone and reject an unknown subcommand in one line.
func asCommandGroup(cmd *cobra.Command) {
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = unknownCommand
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// requireNoArgs is cobra.NoArgs with a one-line message naming the stray argument.
func requireNoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q (see '%s --help')", args[0], cmd.CommandPath())
	}
	return nil
}

// usageErrorf builds an error for a wrong command line.
func usageErrorf(format string, a ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, a...)}
}
