package partition

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/internal/storage"
)

// partitionDir finds the directory of a partition in one of the log dirs,
// or picks the log dir holding the fewest partitions for a new one. A
// directory left by an earlier topic of the same name (a topic ID read
// from its partition.metadata that differs from topicID) is removed first.
// Any error reading a directory or its partition.metadata, other than its
// absence, is returned: a directory that cannot be read is never removed
// and never shadowed by a new one.
func (m *Manager) partitionDir(topic string, index int32, topicID [16]byte) (string, error) {
	name := fmt.Sprintf("%s-%d", topic, index)
	for _, ld := range m.broker.LogDirs {
		dir := filepath.Join(ld, name)
		if _, err := os.Stat(dir); err != nil {
			if isNotExist(err) {
				continue
			}
			return "", fmt.Errorf("%w: stat partition dir: %w", storage.ErrStorage, err)
		}
		id, err := readTopicID(dir)
		switch {
		case err == nil && id != topicID:
			if err := os.RemoveAll(dir); err != nil {
				return "", fmt.Errorf("remove stale partition dir %s: %w", dir, err)
			}
			m.logger.Info("removed partition dir of an earlier topic of the same name", "dir", dir)
			continue
		case errors.Is(err, errMalformedPartitionMetadata):
			m.logger.Warn("partition.metadata does not parse; keeping the directory and writing it again", "dir", dir, "err", err)
		case err != nil && !isNotExist(err):
			return "", fmt.Errorf("%w: read partition.metadata in %s: %w", storage.ErrStorage, dir, err)
		}
		return dir, writeTopicID(dir, topicID)
	}
	dir := filepath.Join(m.leastLoadedLogDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: create partition dir: %w", storage.ErrStorage, err)
	}
	return dir, writeTopicID(dir, topicID)
}

func (m *Manager) leastLoadedLogDir() string {
	best, bestN := m.broker.LogDirs[0], -1
	if len(m.broker.LogDirs) == 1 {
		return best // no choice; listing it for every new partition made creating many quadratic
	}
	for _, ld := range m.broker.LogDirs {
		entries, _ := os.ReadDir(ld)
		if bestN < 0 || len(entries) < bestN {
			best, bestN = ld, len(entries)
		}
	}
	return best
}

// partition.metadata holds the topic ID in Kafka's format:
// "version: 0\ntopic_id: <id>\n", the id in Kafka's URL-safe base64.
func writeTopicID(dir string, id [16]byte) error {
	path := filepath.Join(dir, "partition.metadata")
	want := fmt.Sprintf("version: 0\ntopic_id: %s\n", encodeTopicID(id))
	if b, err := os.ReadFile(path); err == nil && string(b) == want {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(want), 0o644); err != nil {
		return fmt.Errorf("%w: write partition.metadata: %w", storage.ErrStorage, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%w: write partition.metadata: %w", storage.ErrStorage, err)
	}
	return nil
}

func readTopicID(dir string) ([16]byte, error) {
	var id [16]byte
	b, err := os.ReadFile(filepath.Join(dir, "partition.metadata"))
	if err != nil {
		return id, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "topic_id: "); ok {
			return decodeTopicID(strings.TrimSpace(v))
		}
	}
	return id, fmt.Errorf("%w: %s has no topic_id", errMalformedPartitionMetadata, dir)
}

// errMalformedPartitionMetadata is a partition.metadata that was read but
// does not parse. It is written without fsync (one per partition would
// double the time to create thousands), so a power loss can leave it empty
// or short; the directory is then kept and the file written again, never
// removed and never a reason to take the partition offline.
var errMalformedPartitionMetadata = errors.New("malformed partition.metadata")

func encodeTopicID(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func decodeTopicID(s string) ([16]byte, error) {
	var id [16]byte
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return id, fmt.Errorf("%w: bad topic id %q", errMalformedPartitionMetadata, s)
	}
	copy(id[:], b)
	return id, nil
}

// parsePartitionDir splits "<topic>-<partition>".
// The metadata log's directory (__cluster_metadata-0) is not a partition.
func parsePartitionDir(name string) (TopicPartition, bool) {
	if strings.HasPrefix(name, "__cluster_metadata") {
		return TopicPartition{}, false
	}
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return TopicPartition{}, false
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || n < 0 {
		return TopicPartition{}, false
	}
	return TopicPartition{Topic: name[:i], Partition: int32(n)}, true
}
