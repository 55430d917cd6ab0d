package nodedir

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/internal/config"
)

// WriteMetaProperties writes Kafka's meta.properties into each log dir and
// the metadata log dir on first start, and refuses to start on a dir that
// belongs to another cluster or node (a mis-pointed log.dirs must not mix
// data). Every dir gets a directory.id, as Kafka gives each one; a file
// written without one (by an older Samsa) gets one added, as Kafka adds a
// missing id at start-up. It returns the ids, the metadata log dir's first
// and then the other log dirs' in order: a broker registers them, and
// DescribeQuorum reports the first for an observer as Kafka does.
func WriteMetaProperties(cfg *config.Broker, clusterID, metadataDir string) ([][16]byte, error) {
	dirs := []string{metadataDir}
	for _, d := range cfg.LogDirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	ids := make([][16]byte, 0, len(dirs))
	for _, dir := range dirs {
		id, err := ensureMetaProperties(dir, cfg.NodeID, clusterID)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// ensureMetaProperties checks or writes dir's meta.properties and returns
// its directory id.
func ensureMetaProperties(dir string, nodeID int32, clusterID string) ([16]byte, error) {
	path := filepath.Join(dir, "meta.properties")
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return [16]byte{}, fmt.Errorf("read %s: %w", path, err)
	}
	var content string
	if err == nil {
		content = string(b)
		id, ok, err := checkMetaProperties(content, nodeID, clusterID, path)
		if err != nil || ok {
			return id, err
		}
		content = strings.TrimRight(content, "\n") + "\n"
	} else {
		content = fmt.Sprintf("#\n#samsa\nnode.id=%d\nversion=1\ncluster.id=%s\n", nodeID, clusterID)
	}
	id, err := newDirectoryID()
	if err != nil {
		return [16]byte{}, err
	}
	content += "directory.id=" + base64.RawURLEncoding.EncodeToString(id[:]) + "\n"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return [16]byte{}, fmt.Errorf("create %s: %w", dir, err)
	}
	// By rename, so that a crash never leaves a file without its node id.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return [16]byte{}, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return [16]byte{}, fmt.Errorf("write %s: %w", path, err)
	}
	return id, nil
}

// checkMetaProperties checks that content belongs to this node and cluster
// and returns its directory.id, ok false when it has none.
func checkMetaProperties(content string, nodeID int32, clusterID, path string) ([16]byte, bool, error) {
	var id [16]byte
	var ok bool
	for _, line := range strings.Split(content, "\n") {
		k, v, found := strings.Cut(strings.TrimSpace(line), "=")
		if !found {
			continue
		}
		switch k {
		case "node.id", "broker.id":
			if v != strconv.Itoa(int(nodeID)) {
				return id, false, fmt.Errorf("%s: node.id %s does not match configured node.id %d", path, v, nodeID)
			}
		case "version":
			// Kafka writes 0 (ZooKeeper brokers) or 1 (KRaft). A newer
			// version comes from a newer binary: refuse it rather than
			// rewrite a file whose meaning we do not know.
			if v != "0" && v != "1" {
				return id, false, fmt.Errorf("%s: meta.properties version %s is newer than this binary understands (0 and 1)", path, v)
			}
		case "cluster.id":
			if clusterID != "" && v != clusterID {
				return id, false, fmt.Errorf("%s: cluster.id %s does not match the metadata log's cluster id %s", path, v, clusterID)
			}
		case "directory.id":
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || len(b) != len(id) {
				return id, false, fmt.Errorf("%s: directory.id %q is not a Kafka Uuid", path, v)
			}
			copy(id[:], b)
			ok = true
		}
	}
	return id, ok, nil
}

// newDirectoryID returns a random directory id as Kafka makes one: not one
// of the ids Kafka reserves (the first 100, zero among them), and not
// starting with '-' in its string form (it would look like a flag).
func newDirectoryID() ([16]byte, error) {
	for range 100 {
		var id [16]byte
		if _, err := rand.Read(id[:]); err != nil {
			return id, fmt.Errorf("random directory id: %w", err)
		}
		reserved := [15]byte(id[:15]) == [15]byte{} && id[15] < 100
		if !reserved && base64.RawURLEncoding.EncodeToString(id[:])[0] != '-' {
			return id, nil
		}
	}
	return [16]byte{}, errors.New("random directory id: no usable id in 100 tries")
}
