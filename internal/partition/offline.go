package partition

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/storage"
)

// A replica is offline when its log could not be opened (a directory where
// a segment should be, EMFILE, EIO, a corrupt partition.metadata). As in
// Kafka, an offline replica answers KAFKA_STORAGE_ERROR and stays offline
// until the process restarts; unlike Kafka, the offline state is kept on
// this broker and not reported to the controller, so leadership does not
// move away by itself.
//
// The rule that keeps acknowledged data safe: no code path removes a
// partition directory because it failed to open. Directories are removed
// only when the metadata image says the partition is no longer this
// node's (RemoveOrphans, Manager.removeAbsent) or that the directory
// belongs to an earlier topic of the same name (partitionDir).

// offlineReplica is a replica whose log failed to open.
type offlineReplica struct {
	topicID [16]byte
	err     error // wraps storage.ErrStorage
}

func (m *Manager) markOfflineLocked(tp TopicPartition, topicID [16]byte, err error) {
	if !errors.Is(err, storage.ErrStorage) {
		err = fmt.Errorf("%w: %w", storage.ErrStorage, err)
	}
	m.offline[tp] = offlineReplica{topicID: topicID, err: err}
	m.logger.Error("partition offline: its log could not be opened; it answers KAFKA_STORAGE_ERROR until restarted",
		"topic", tp.Topic, "partition", tp.Partition, "err", err)
}

// isOfflineLocked reports whether tp of topic topicID is offline. An entry
// for an earlier topic of the same name is dropped: the new topic opens.
func (m *Manager) isOfflineLocked(tp TopicPartition, topicID [16]byte) bool {
	o, ok := m.offline[tp]
	if ok && o.topicID != topicID {
		delete(m.offline, tp)
		return false
	}
	return ok
}

// Offline returns the error (wrapping storage.ErrStorage) that keeps the
// replica offline, or nil when it is not offline: either its log failed to
// open, or a write to its log failed since.
func (m *Manager) Offline(topic string, index int32) error {
	m.mu.RLock()
	o, ok := m.offline[TopicPartition{topic, index}]
	p := m.parts[TopicPartition{topic, index}]
	m.mu.RUnlock()
	if ok {
		return o.err
	}
	if p != nil {
		return p.log.Failed()
	}
	return nil
}

// RemoveOrphans deletes partition directories in the log dirs that im says
// are not this node's: the topic is gone (deleted while this node was
// down), the partition is not in it, or this node is not one of its
// replicas. A directory of a partition im assigns here is never removed,
// whether or not it opened. Call once at start-up, after the node has
// caught up with the metadata log: an image that lags it would make a
// topic created since look deleted.
func (m *Manager) RemoveOrphans(im *metadata.Image) {
	for _, dir := range m.broker.LogDirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			m.logger.Warn("list log dir for orphan partitions", "dir", dir, "err", err)
			continue
		}
		for _, e := range entries {
			tp, ok := parsePartitionDir(e.Name())
			if !e.IsDir() || !ok {
				continue
			}
			reason := m.orphanReason(im, tp)
			if reason == "" {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if err := os.RemoveAll(path); err != nil {
				m.logger.Warn("remove orphan partition dir", "dir", path, "err", err)
				continue
			}
			m.logger.Info("removed orphan partition dir", "dir", path, "reason", reason)
		}
	}
}

// orphanReason says why im makes tp's directory an orphan, or "" if it
// does not.
func (m *Manager) orphanReason(im *metadata.Image, tp TopicPartition) string {
	m.mu.RLock()
	_, hosted := m.parts[tp]
	_, offline := m.offline[tp]
	m.mu.RUnlock()
	if hosted || offline {
		return ""
	}
	t, ok := im.Topic(tp.Topic)
	if !ok {
		return "topic deleted"
	}
	for _, pm := range t.Partitions {
		if pm.Index == tp.Partition {
			if hostedHere(pm, m.nodeID) {
				return "" // assigned here: it must have opened or be offline; keep it either way
			}
			return "partition not assigned to this node"
		}
	}
	return "partition not in topic"
}

// isNotExist is errors.Is(err, fs.ErrNotExist): only a missing file may be
// treated as "nothing there"; any other error is a failure to read.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// SetWriteFault installs a fault injector on the replica's log for tests
// (storage.Log.SetWriteFault): an error fn returns is taken as the error of
// the next segment write. Production code never sets one.
func (p *Partition) SetWriteFault(fn func() error) { p.log.SetWriteFault(fn) }
