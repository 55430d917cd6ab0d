package partition

// The high-watermark checkpoint, Kafka's replication-offset-checkpoint: one
// file per log dir listing each hosted partition's high watermark, written
// every few seconds and at shutdown. A replica that restarts starts its high
// watermark there instead of at the log start, so a leader elected right
// after a restart does not hide committed records from consumers until
// every ISR member has fetched again (or, with a member down, until the
// shrink after replica.lag.time.max.ms). A value from the file is always a
// watermark some leader once committed, so exposing it again is safe.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/internal/storage"
)

const (
	hwCheckpointFile    = "replication-offset-checkpoint"
	hwCheckpointVersion = 0
)

// hwCheckpointEvery is how often the checkpoint is written: Kafka's
// replica.high.watermark.checkpoint.interval.ms default.
const hwCheckpointEvery = 5000 // ms

// encodeHWCheckpoint renders Kafka's format: version, count, then
// "topic partition offset" lines.
func encodeHWCheckpoint(hws map[TopicPartition]int64) []byte {
	tps := make([]TopicPartition, 0, len(hws))
	for tp := range hws {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, func(a, b TopicPartition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition) - int(b.Partition)
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n%d\n", hwCheckpointVersion, len(tps))
	for _, tp := range tps {
		fmt.Fprintf(&b, "%s %d %d\n", tp.Topic, tp.Partition, hws[tp])
	}
	return b.Bytes()
}

// decodeHWCheckpoint parses a checkpoint file's contents.
func decodeHWCheckpoint(data []byte) (map[TopicPartition]int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		return strings.TrimSpace(sc.Text()), true
	}
	v, ok := line()
	if !ok || v != strconv.Itoa(hwCheckpointVersion) {
		return nil, fmt.Errorf("high watermark checkpoint: version %q not supported", v)
	}
	c, _ := line()
	count, err := strconv.Atoi(c)
	if err != nil || count < 0 {
		return nil, fmt.Errorf("high watermark checkpoint: bad entry count %q", c)
	}
	// Every entry takes at least six bytes ("t 0 0\n"): a count beyond
	// that is a damaged file, not a reason to allocate.
	if count > len(data)/6 {
		return nil, fmt.Errorf("high watermark checkpoint: %d entries cannot fit in %d bytes", count, len(data))
	}
	out := make(map[TopicPartition]int64, count)
	for range count {
		l, ok := line()
		f := strings.Fields(l)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("high watermark checkpoint: bad entry %q", l)
		}
		part, err1 := strconv.ParseInt(f[1], 10, 32)
		off, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || part < 0 || off < 0 {
			return nil, fmt.Errorf("high watermark checkpoint: bad entry %q", l)
		}
		out[TopicPartition{f[0], int32(part)}] = off
	}
	return out, nil
}

// loadHWCheckpoints reads every log dir's checkpoint once, before the
// first partition opens. A damaged file only costs the fast start: it is
// logged and ignored.
func (m *Manager) loadHWCheckpoints() {
	m.hwOnce.Do(func() {
		m.hwStart = map[TopicPartition]int64{}
		for _, dir := range m.broker.LogDirs {
			data, err := os.ReadFile(filepath.Join(dir, hwCheckpointFile))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err == nil {
				var hws map[TopicPartition]int64
				if hws, err = decodeHWCheckpoint(data); err == nil {
					for tp, hw := range hws {
						m.hwStart[tp] = hw
					}
					continue
				}
			}
			m.logger.Warn("ignoring high watermark checkpoint", "dir", dir, "err", err)
		}
	})
}

// checkpointedHW is tp's high watermark from the checkpoint read at start,
// or -1.
func (m *Manager) checkpointedHW(tp TopicPartition) int64 {
	m.loadHWCheckpoints()
	if hw, ok := m.hwStart[tp]; ok {
		return hw
	}
	return -1
}

// writeHWCheckpoints writes each log dir's checkpoint from the hosted
// partitions, skipping a dir whose contents did not change since the last
// write.
func (m *Manager) writeHWCheckpoints() error {
	if !m.imageApplied.Load() {
		return nil
	}
	byDir := map[string]map[TopicPartition]int64{}
	for _, dir := range m.broker.LogDirs {
		byDir[dir] = map[TopicPartition]int64{}
	}
	for _, p := range m.Partitions() {
		if p.closed.Load() {
			continue
		}
		dir := filepath.Dir(p.dir)
		if byDir[dir] == nil {
			byDir[dir] = map[TopicPartition]int64{}
		}
		byDir[dir][TopicPartition{p.Topic, p.Index}] = p.HighWatermark()
	}
	m.keepOfflineHWs(byDir)
	m.hwMu.Lock()
	defer m.hwMu.Unlock()
	if m.hwWritten == nil {
		m.hwWritten = map[string][]byte{}
	}
	var errs []error
	for dir, hws := range byDir {
		data := encodeHWCheckpoint(hws)
		if bytes.Equal(m.hwWritten[dir], data) {
			continue
		}
		if err := storage.WriteFileAtomic(filepath.Join(dir, hwCheckpointFile), data); err != nil {
			errs = append(errs, err)
			continue
		}
		m.hwWritten[dir] = data
	}
	return errors.Join(errs...)
}

// keepOfflineHWs carries the start-up checkpoint entries of the offline
// replicas (assigned here, failed to open) into byDir, in the log dir that
// holds each one: a checkpoint written from the open partitions alone
// would drop them, and once the disk is repaired the replica would start
// its high watermark from nothing.
func (m *Manager) keepOfflineHWs(byDir map[string]map[TopicPartition]int64) {
	m.loadHWCheckpoints()
	m.mu.RLock()
	offline := make([]TopicPartition, 0, len(m.offline))
	for tp := range m.offline {
		offline = append(offline, tp)
	}
	m.mu.RUnlock()
	for _, tp := range offline {
		hw, ok := m.hwStart[tp]
		if !ok {
			continue
		}
		for _, dir := range m.broker.LogDirs {
			if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s-%d", tp.Topic, tp.Partition))); err == nil {
				if byDir[dir] == nil {
					byDir[dir] = map[TopicPartition]int64{}
				}
				byDir[dir][tp] = hw
				break
			}
		}
	}
}
