package connect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// numbered returns the lines "prefix 001" ... for from..to inclusive: each
// distinct, so that a repeat or a reordering shows.
func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s %03d", prefix, i))
	}
	return out
}

// appendLines appends each line and a newline to the file, creating it.
func appendLines(t *testing.T, path string, lines []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l + "\n")
	}
	if _, err := f.WriteString(sb.String()); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fileSize returns the file's size in bytes.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// readLines returns the file's complete lines (a last line still being
// written, with no newline yet, is left out); a missing file has none.
func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	text := string(data)
	end := strings.LastIndexByte(text, '\n')
	if end < 0 {
		return nil, nil
	}
	return strings.Split(text[:end], "\n"), nil
}

// waitLines waits until the sink file holds at least n lines and returns
// them, failing the test with what it holds after arriveTimeout.
func waitLines(t *testing.T, path string, done func([]string) bool) []string {
	t.Helper()
	var got []string
	err := harness.Poll(arriveTimeout, func() error {
		var err error
		if got, err = readLines(path); err != nil {
			return err
		}
		if !done(got) {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("sink file %s after %v (%v):\n%s", path, arriveTimeout, err, strings.Join(got, "\n"))
	}
	return got
}

// expectExactly waits until the sink file holds as many lines as want and
// checks that they are want: each line once, in order.
func expectExactly(t *testing.T, path string, want []string) {
	t.Helper()
	got := waitLines(t, path, func(got []string) bool { return len(got) >= len(want) })
	if !slices.Equal(got, want) {
		t.Fatalf("sink file %s:\n%s\nwant exactly:\n%s", path, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// expectAtLeastOnce waits until the sink file holds every line of want and
// checks FileStreamSink's at-least-once delivery: its first exact lines are
// want's (they arrived exactly once before any failure), it holds no line
// that was not appended, and its lines in order of first appearance are
// want. Repeated lines are logged.
func expectAtLeastOnce(t *testing.T, path string, want []string, exact int) {
	t.Helper()
	got := waitLines(t, path, func(got []string) bool {
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false
			}
		}
		return true
	})
	if len(got) < exact || !slices.Equal(got[:exact], want[:exact]) {
		t.Errorf("sink file %s does not start with the %d lines it held exactly once before the failure:\n%s",
			path, exact, strings.Join(got, "\n"))
	}
	seen := map[string]bool{}
	var first, repeats []string
	for _, l := range got {
		if !slices.Contains(want, l) {
			t.Errorf("sink file %s holds %q, which was never appended", path, l)
		}
		if seen[l] {
			repeats = append(repeats, l)
			continue
		}
		seen[l] = true
		first = append(first, l)
	}
	if !slices.Equal(first, want) {
		t.Errorf("sink file %s in order of first appearance:\n%s\nwant:\n%s", path, strings.Join(first, "\n"), strings.Join(want, "\n"))
	}
	if len(repeats) > 0 {
		t.Logf("sink file %s repeats %d lines (at-least-once redelivery): %q", path, len(repeats), repeats)
	}
}
