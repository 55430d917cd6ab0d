package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/internal/config"
)

// writeMetaProperties writes Kafka's meta.properties into each log dir on
// first start, and refuses to start on a dir that belongs to another
// cluster or node (a mis-pointed log.dirs must not mix data).
func writeMetaProperties(cfg *config.Broker, clusterID string) error {
	for _, dir := range cfg.LogDirs {
		path := filepath.Join(dir, "meta.properties")
		b, err := os.ReadFile(path)
		if err == nil {
			if err := checkMetaProperties(string(b), cfg.NodeID, clusterID, path); err != nil {
				return err
			}
			continue
		}
		if !os.IsNotExist(err) {
			return fmt.Errorf("read %s: %w", path, err)
		}
		content := fmt.Sprintf("#\n#samsa\nnode.id=%d\nversion=1\ncluster.id=%s\n", cfg.NodeID, clusterID)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

func checkMetaProperties(content string, nodeID int32, clusterID, path string) error {
	for _, line := range strings.Split(content, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case "node.id", "broker.id":
			if v != strconv.Itoa(int(nodeID)) {
				return fmt.Errorf("%s: node.id %s does not match configured node.id %d", path, v, nodeID)
			}
		case "cluster.id":
			if clusterID != "" && v != clusterID {
				return fmt.Errorf("%s: cluster.id %s does not match the metadata log's cluster id %s", path, v, clusterID)
			}
		}
	}
	return nil
}
