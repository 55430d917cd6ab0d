package txn

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// blockSize is how many producer ids are reserved per durable write.
const blockSize = 1000

// ProducerIDs hands out producer ids that are unique across restarts of
// this node: before an id from a new block is returned, the end of that
// block is written and fsynced, so after a crash allocation resumes past
// every id that could have been handed out.
//
// This is the single-node allocator. In a cluster, blocks must come from
// the controller (a producer-id-block metadata record); the file keeps the
// same shape so the switch is local to this type.
type ProducerIDs struct {
	path string

	mu       sync.Mutex
	next     int64
	blockEnd int64
}

// OpenProducerIDs reads the reservation file in dir (creating it if
// missing).
func OpenProducerIDs(dir string) (*ProducerIDs, error) {
	p := &ProducerIDs{path: filepath.Join(dir, "producer-ids")}
	b, err := os.ReadFile(p.path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return nil, fmt.Errorf("read producer ids: %w", err)
	default:
		end, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil || end < 0 {
			return nil, fmt.Errorf("producer ids file %s: bad content %q", p.path, b)
		}
		p.next, p.blockEnd = end, end
	}
	return p, nil
}

// Next returns an unused producer id.
func (p *ProducerIDs) Next() (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.blockEnd {
		if err := p.reserve(p.next + blockSize); err != nil {
			return -1, err
		}
	}
	id := p.next
	p.next++
	return id, nil
}

func (p *ProducerIDs) reserve(end int64) error {
	tmp := p.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("reserve producer ids: %w", err)
	}
	_, err = f.WriteString(strconv.FormatInt(end, 10) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(p.path))
	}
	if err != nil {
		return fmt.Errorf("reserve producer ids: %w", err)
	}
	p.blockEnd = end
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
