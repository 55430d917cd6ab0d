package storage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	stateFile       = "samsa-log-state"
	epochFile       = "leader-epoch-checkpoint"
	stateVersion    = 1
	tempSuffix      = ".tmp"
	deletedSuffix   = ".deleted"
	epochCkpVersion = 0
)

// logState is what the state checkpoint file records.
type logState struct {
	RecoveryPoint  int64 // every batch below it is fsynced, with complete index files
	LogStartOffset int64
	Clean          bool // written by Close; cleared by Open
}

func (s logState) encode() []byte {
	return fmt.Appendf(nil, "version %d\nrecovery-point %d\nlog-start-offset %d\nclean-shutdown %t\n",
		stateVersion, s.RecoveryPoint, s.LogStartOffset, s.Clean)
}

// readState reads the state file; a missing file yields the zero state.
func readState(dir string) (logState, error) {
	s, _, err := readStateFile(dir)
	return s, err
}

// readStateFile is readState also returning the file's bytes when it is a
// regular file (nil otherwise), so that Open can tell whether the state it
// is about to write is already there.
func readStateFile(dir string) (logState, []byte, error) {
	f, err := os.Open(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return logState{}, nil, nil
	}
	if err != nil {
		return logState{}, nil, fmt.Errorf("read log state: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return logState{}, nil, fmt.Errorf("read log state: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return logState{}, nil, fmt.Errorf("read log state: %w", err)
	}
	s, err := parseState(b)
	if !fi.Mode().IsRegular() {
		b = nil
	}
	return s, b, err
}

func parseState(b []byte) (logState, error) {
	var s logState
	fields := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, " ")
		fields[k] = v
	}
	if fields["version"] != strconv.Itoa(stateVersion) {
		return s, fmt.Errorf("read log state: version %q: %w", fields["version"], errBadCheckpoint)
	}
	var e1, e2, e3 error
	s.RecoveryPoint, e1 = strconv.ParseInt(fields["recovery-point"], 10, 64)
	s.LogStartOffset, e2 = strconv.ParseInt(fields["log-start-offset"], 10, 64)
	s.Clean, e3 = strconv.ParseBool(fields["clean-shutdown"])
	if err := errors.Join(e1, e2, e3); err != nil {
		return logState{}, fmt.Errorf("read log state: %w: %w", errBadCheckpoint, err)
	}
	return s, nil
}

func writeState(dir string, s logState) error {
	return WriteFileAtomic(filepath.Join(dir, stateFile), s.encode())
}

// WriteFileAtomic writes path through a synced temporary file, renames it
// into place and syncs the directory.
func WriteFileAtomic(path string, data []byte) error {
	tmp := path + tempSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = SyncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// SyncDir fsyncs a directory, making renames and removals in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// epochEntry says that leader epoch Epoch starts at offset Start.
type epochEntry struct {
	Epoch int32
	Start int64
}

// encodeEpochs writes Kafka's leader-epoch-checkpoint format.
func encodeEpochs(entries []epochEntry) []byte {
	b := fmt.Appendf(nil, "%d\n%d\n", epochCkpVersion, len(entries))
	for _, e := range entries {
		b = fmt.Appendf(b, "%d %d\n", e.Epoch, e.Start)
	}
	return b
}

// readEpochs parses a leader-epoch-checkpoint file; missing means empty.
func readEpochs(dir string) ([]epochEntry, error) {
	b, err := os.ReadFile(filepath.Join(dir, epochFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read leader epochs: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if len(lines) < 2 || lines[0] != strconv.Itoa(epochCkpVersion) {
		return nil, fmt.Errorf("read leader epochs: header: %w", errBadCheckpoint)
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n < 0 || n != len(lines)-2 {
		return nil, fmt.Errorf("read leader epochs: count %q for %d lines: %w", lines[1], len(lines)-2, errBadCheckpoint)
	}
	out := make([]epochEntry, 0, n)
	for _, line := range lines[2:] {
		var e epochEntry
		if _, err := fmt.Sscanf(line, "%d %d", &e.Epoch, &e.Start); err != nil {
			return nil, fmt.Errorf("read leader epochs: line %q: %w", line, errBadCheckpoint)
		}
		out = append(out, e)
	}
	return out, nil
}
