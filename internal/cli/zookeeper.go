package cli

import "github.com/spf13/cobra"

// guardZookeeper makes every tool answer --zookeeper with the one-line
// pointer to --bootstrap-server (exit 1), not only the tools that declare
// the flag: old runbooks pass it to any kafka-*.sh. A tool without the
// flag gets it as a hidden persistent flag; the check runs before any of
// its commands, subcommands included. The server takes no such flag.
func guardZookeeper(cmd *cobra.Command) {
	if cmd.Name() == "server" {
		return
	}
	if cmd.Flags().Lookup("zookeeper") == nil && cmd.PersistentFlags().Lookup("zookeeper") == nil {
		var ignored string
		addZookeeperFlag(cmd.PersistentFlags(), &ignored)
	}
	prev := cmd.PersistentPreRunE
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if f := c.Flags().Lookup("zookeeper"); f != nil && f.Changed {
			return zookeeperError(f.Value.String())
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}
