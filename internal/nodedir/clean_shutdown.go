package nodedir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The clean-shutdown file (KIP-966; Kafka's .kafka_cleanshutdown): a node
// whose partitions closed cleanly (every log flushed and checkpointed)
// writes the broker epoch it ran with into its metadata log dir; the next
// start takes the file away and sends the epoch in BrokerRegistration
// (v3+, PreviousBrokerEpoch). The controller keeps the broker in the
// eligible leader replica sets only if the epoch is the one it registered
// last: a broker that crashed, or whose logs failed to close, sends -1 and
// may have lost acknowledged records it had not flushed. The format is
// docs/storage.md's "The clean-shutdown file".

const (
	cleanShutdownFile    = "clean-shutdown.samsa"
	cleanShutdownVersion = 1
)

// WriteCleanShutdownEpoch records epoch in dir, durably: a file that may
// be half-written is no record of a clean shutdown.
func WriteCleanShutdownEpoch(dir string, epoch int64) error {
	tmp := filepath.Join(dir, cleanShutdownFile+".tmp")
	data := fmt.Appendf(nil, "version %d\nbroker-epoch %d\n", cleanShutdownVersion, epoch)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("clean-shutdown file: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, cleanShutdownFile))
	}
	if err != nil {
		return fmt.Errorf("clean-shutdown file: %w", err)
	}
	return nil
}

// TakeCleanShutdownEpoch returns the epoch the previous run recorded in
// dir and removes the file, so that a crash of this run cannot pass for a
// clean shutdown; -1 when there is none or it is unreadable (logged).
func TakeCleanShutdownEpoch(dir string, logger *slog.Logger) int64 {
	path := filepath.Join(dir, cleanShutdownFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return -1
	}
	epoch, perr := parseCleanShutdown(data)
	if err == nil {
		err = perr
	}
	if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		logger.Warn("cannot remove the clean-shutdown file; this start counts as after an unclean shutdown",
			"path", path, "err", rerr)
		return -1
	}
	if err != nil {
		logger.Warn("unreadable clean-shutdown file; this start counts as after an unclean shutdown",
			"path", path, "err", err)
		return -1
	}
	return epoch
}

func parseCleanShutdown(data []byte) (int64, error) {
	fields := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, " ")
		fields[k] = v
	}
	if v := fields["version"]; v != strconv.Itoa(cleanShutdownVersion) {
		return -1, fmt.Errorf("clean-shutdown file version %q, want %d", v, cleanShutdownVersion)
	}
	epoch, err := strconv.ParseInt(fields["broker-epoch"], 10, 64)
	if err != nil || epoch < 0 {
		return -1, fmt.Errorf("clean-shutdown file broker epoch %q", fields["broker-epoch"])
	}
	return epoch, nil
}
