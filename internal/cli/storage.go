package cli

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/samsa-io/samsa/internal/config"
)

// metaPropertiesFile is the per-log-dir identity file, as in Kafka.
const metaPropertiesFile = "meta.properties"

func newStorageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Format and inspect log directories (kafka-storage.sh)",
		Long: `Kafka-style scripted setup of data directories. Samsa does not need it: a fresh node
initialises its log directories on first start. It exists so that scripts written for
kafka-storage.sh keep working.`,
		Example: `  samsa storage random-uuid
  samsa storage format -t $(samsa storage random-uuid) -c configs/server.properties
  samsa storage info -c configs/server.properties`,
	}
	asCommandGroup(cmd)
	cmd.AddCommand(newRandomUUIDCmd(), newStorageFormatCmd(), newStorageInfoCmd())
	return cmd
}

func newRandomUUIDCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "random-uuid",
		Short:   "Print a random UUID usable as a cluster id",
		Example: `  samsa storage random-uuid`,
		Args:    requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := randomUUID()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
}

// randomUUID returns a Kafka Uuid string: 16 random bytes in URL-safe base64
// without padding, never starting with '-' (Kafka avoids those, as they look
// like flags on a command line).
func randomUUID() (string, error) {
	for range 100 {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("random uuid: %w", err)
		}
		if s := base64.RawURLEncoding.EncodeToString(b[:]); s[0] != '-' {
			return s, nil
		}
	}
	return "", errors.New("random uuid: no usable id in 100 tries")
}

// validClusterID reports whether s is a Kafka Uuid string.
func validClusterID(s string) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return usageErrorf("cluster ID string %s does not appear to be a valid UUID: want 22 characters of URL-safe base64 (see 'samsa storage random-uuid')", s)
	}
	return nil
}

// storageFormatOptions holds the flags of kafka-storage.sh format.
type storageFormatOptions struct {
	clusterID        string
	configFile       string
	ignoreFormatted  bool
	releaseVersion   string
	standalone       bool
	initialListeners string
}

func newStorageFormatCmd() *cobra.Command {
	o := &storageFormatOptions{}
	cmd := &cobra.Command{
		Use:     "format -t CLUSTER_ID -c FILE",
		Short:   "Write meta.properties into every log directory of a node",
		Example: `  samsa storage format -t $(samsa storage random-uuid) -c configs/server.properties --ignore-formatted`,
		Args:    requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.clusterID, "cluster-id", "t", "", "REQUIRED: the cluster ID (from 'samsa storage random-uuid')")
	f.StringVarP(&o.configFile, "config", "c", "", "REQUIRED: the server.properties file")
	f.BoolVarP(&o.ignoreFormatted, "ignore-formatted", "g", false, "skip directories that are already formatted instead of failing")
	f.StringVarP(&o.releaseVersion, "release-version", "r", "", "accepted for compatibility; ignored")
	f.BoolVarP(&o.standalone, "standalone", "s", false, "accepted for compatibility; the voter set comes from controller.quorum.voters")
	f.StringVarP(&o.initialListeners, "initial-controllers", "I", "", "accepted for compatibility; ignored")
	return cmd
}

func (o *storageFormatOptions) run(out io.Writer) error {
	if o.clusterID == "" || o.configFile == "" {
		return usageErrorf("format needs -t CLUSTER_ID and -c FILE")
	}
	if err := validClusterID(o.clusterID); err != nil {
		return err
	}
	cfg, _, err := config.Load(o.configFile, nil)
	if err != nil {
		return fmt.Errorf("invalid configuration (%s):\n%w", o.configFile, err)
	}
	formatted := 0
	dirs := logDirs(cfg)
	for _, dir := range dirs {
		done, err := o.formatDir(dir, cfg.NodeID)
		if err != nil {
			return err
		}
		if done {
			formatted++
			fmt.Fprintf(out, "Formatting %s with cluster.id %s and node.id %d.\n", dir, o.clusterID, cfg.NodeID)
		}
	}
	if formatted == 0 {
		fmt.Fprintln(out, "All of the log directories are already formatted.")
	}
	return nil
}

// formatDir writes meta.properties into dir; it reports false for a
// directory already formatted when --ignore-formatted allows skipping it.
func (o *storageFormatOptions) formatDir(dir string, nodeID int32) (bool, error) {
	path := filepath.Join(dir, metaPropertiesFile)
	if _, err := os.Stat(path); err == nil {
		if o.ignoreFormatted {
			return false, nil
		}
		return false, fmt.Errorf("log directory %s is already formatted: use --ignore-formatted to ignore this directory and format the others", dir)
	}
	dirID, err := randomUUID()
	if err != nil {
		return false, err
	}
	content := fmt.Sprintf("#\n#%s\ncluster.id=%s\ndirectory.id=%s\nnode.id=%d\nversion=1\n",
		time.Now().Format(time.UnixDate), o.clusterID, dirID, nodeID)
	if err := writeFileAtomic(path, []byte(content)); err != nil {
		return false, fmt.Errorf("format %s: %w", dir, err)
	}
	return true, nil
}

// writeFileAtomic writes a file by rename so a crash never leaves half of it.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// logDirs lists a node's data directories: log.dirs and metadata.log.dir.
func logDirs(cfg *config.Broker) []string {
	seen := map[string]bool{}
	var dirs []string
	for _, d := range append(append([]string(nil), cfg.LogDirs...), cfg.MetadataLogDir) {
		if d != "" && !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func newStorageInfoCmd() *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:     "info -c FILE",
		Short:   "Show the meta.properties found in a node's log directories",
		Example: `  samsa storage info -c configs/server.properties`,
		Args:    requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile == "" {
				return usageErrorf("info needs -c FILE")
			}
			cfg, _, err := config.Load(configFile, nil)
			if err != nil {
				return fmt.Errorf("invalid configuration (%s):\n%w", configFile, err)
			}
			return storageInfo(cmd.OutOrStdout(), logDirs(cfg))
		},
	}
	cmd.Flags().StringVarP(&configFile, "config", "c", "", "REQUIRED: the server.properties file")
	return cmd
}

// storageInfo prints, like kafka-storage info, the directories found and
// the metadata they hold, or the problems met.
func storageInfo(out io.Writer, dirs []string) error {
	var found, problems []string
	var meta map[string]string
	for _, d := range dirs {
		props, err := loadProperties(filepath.Join(d, metaPropertiesFile))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("%s is not formatted.", d))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", d, err))
		default:
			found = append(found, d)
			meta = props
		}
	}
	fmt.Fprintf(out, "Found log directories:\n  %s\n\n", strings.Join(found, "\n  "))
	if meta != nil {
		keys := sortedKeys(meta)
		kvs := make([]string, len(keys))
		for i, k := range keys {
			kvs[i] = k + "=" + meta[k]
		}
		fmt.Fprintf(out, "Found metadata: {%s}\n\n", strings.Join(kvs, ", "))
	}
	if len(problems) > 0 {
		fmt.Fprintf(out, "Found problem%s:\n  %s\n\n", plural(len(problems)), strings.Join(problems, "\n  "))
		return fmt.Errorf("%d problem%s found in log directories", len(problems), plural(len(problems)))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
