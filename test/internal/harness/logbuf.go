package harness

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
)

// logBuffer collects a broker's output across restarts. It is written by
// the exec package's copy goroutines and read by the test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// mark appends a harness line, such as a restart marker.
func (l *logBuffer) mark(line string) {
	_, _ = l.Write([]byte(line + "\n"))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tail returns the last n lines.
func (l *logBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// save writes the whole log to a file that outlives the test and returns a
// note naming it (or why it could not be written) for the failure message.
func (l *logBuffer) save(testName string) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(testName)
	f, err := os.CreateTemp("", "samsa-"+name+"-*.log")
	if err != nil {
		return fmt.Sprintf("; full log not saved: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(l.String()); err != nil {
		return fmt.Sprintf("; full log not saved: %v", err)
	}
	return "; full log in " + f.Name()
}
