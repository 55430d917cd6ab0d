package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// installLinksOptions holds the flags of install-links.
type installLinksOptions struct {
	target string // the executable to link to; default: this program
}

func newInstallLinksCmd() *cobra.Command {
	o := &installLinksOptions{}
	cmd := &cobra.Command{
		Use:   "install-links DIR",
		Short: "Create kafka-<tool>.sh and kafka-<tool> links to samsa in DIR",
		Long: `Creates, for every Kafka tool samsa replaces, the links DIR/kafka-<tool>.sh and
DIR/kafka-<tool> pointing at this executable. Invoked through such a link, samsa runs
that tool, so scripts calling bin/kafka-topics.sh work unchanged. Existing links are
replaced; existing regular files are left alone and reported.`,
		Example: `  samsa install-links /opt/kafka/bin
  kafka-topics.sh --bootstrap-server localhost:9092 --list`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("install-links needs exactly one DIR argument (see '%s --help')", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(args[0], cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&o.target, "target", "", "executable the links point at (default: this samsa binary)")
	return cmd
}

func (o *installLinksOptions) run(dir string, out io.Writer) error {
	target := o.target
	if target == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find samsa executable: %w", err)
		}
		target = exe
	}
	target, err := filepath.Abs(target)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", target, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	names := kafkaScriptNames()
	for _, name := range names {
		if err := replaceLink(filepath.Join(dir, name), target); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Linked %d Kafka tool names in %s to %s.\n", len(names), dir, target)
	return nil
}

// replaceLink makes path a symlink to target, replacing an existing symlink
// but never a regular file.
func replaceLink(path, target string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("link %s: %w", path, err)
	case fi.Mode()&fs.ModeSymlink == 0:
		return fmt.Errorf("link %s: a file that is not a symlink is in the way", path)
	default:
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("link %s: %w", path, err)
		}
	}
	if err := os.Symlink(target, path); err != nil {
		return fmt.Errorf("link %s: %w", path, err)
	}
	return nil
}
