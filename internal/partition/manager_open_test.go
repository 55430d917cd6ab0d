//go:build unix

package partition

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// An open that waits on the disk must not stop requests finding the
// partitions already hosted, and a new topic's partitions appear together.
// The open of wide-0 is held by a named pipe in place of its log state
// file: reading it waits until the test closes the writing end.
func TestPartitionLookupsProceedWhileAPartitionOpens(t *testing.T) {
	m := newTestManager(t)
	im := testImage("steady", 1, nil)
	if err := m.ApplyImage(im); err != nil {
		t.Fatal(err)
	}

	wide := &metadata.Topic{Name: "wide", ID: [16]byte{9}}
	for i := range int32(3) {
		wide.Partitions = append(wide.Partitions, metadata.Partition{Index: i, Leader: 1, Replicas: []int32{1}, ISR: []int32{1}})
	}
	next := testImage("steady", 1, nil)
	next.Topics[wide.Name], next.TopicsByID[wide.ID] = wide, wide
	dir := filepath.Join(m.broker.LogDirs[0], "wide-0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeTopicID(dir, wide.ID); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "samsa-log-state")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}

	applied := make(chan error, 1)
	go func() { applied <- m.ApplyImage(next) }()
	var applyErr error
	waitApplied := func() {
		select {
		case applyErr = <-applied:
		case <-time.After(time.Minute):
			t.Fatal("ApplyImage did not return after the pipe was closed")
		}
		applied = nil
	}
	// Opening the pipe for writing without blocking succeeds only once the
	// open of wide-0 is reading it.
	var writer *os.File
	for i := 0; writer == nil; i++ {
		f, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		switch {
		case err == nil:
			writer = f
		case !errors.Is(err, syscall.ENXIO) || i == 3000:
			t.Fatalf("the open of wide-0 never read its log state: %v", err)
		default:
			time.Sleep(10 * time.Millisecond)
		}
	}
	release := func() {
		if writer != nil {
			writer.Close() // an empty state file: the log is recovered
			writer = nil
		}
	}
	defer func() { // stop ApplyImage before the manager is closed
		release()
		if applied != nil {
			waitApplied()
		}
	}()

	found := make(chan *Partition, 1)
	go func() { found <- m.Partition("steady", 0) }()
	select {
	case p := <-found:
		if p == nil {
			t.Fatal("steady-0 is no longer hosted")
		}
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("looking up steady-0 waited for the open of wide-0")
	}
	// A request for a partition being opened waits for it (a producer
	// writing right after CreateTopics) instead of missing it.
	awaited := make(chan *Partition, 1)
	go func() { awaited <- m.AwaitPartition(context.Background(), "wide", 1, 0) }()
	// A small topic appears whole: its other partitions, opened by the
	// other worker meanwhile, are not served before wide-0 is (a producer
	// would put every record on them).
	time.Sleep(300 * time.Millisecond)
	select {
	case <-awaited:
		t.Fatal("AwaitPartition returned while the topic was still opening")
	default:
	}
	for i := range int32(3) {
		if m.Partition("wide", i) != nil {
			t.Fatalf("wide-%d is hosted while wide-0 is still opening", i)
		}
	}
	release()
	if waitApplied(); applyErr != nil {
		t.Fatal(applyErr)
	}
	for i := range int32(3) {
		if m.Partition("wide", i) == nil {
			t.Fatalf("wide-%d was not installed after the topic's opens finished", i)
		}
	}
	if p := <-awaited; p == nil {
		t.Fatal("AwaitPartition of wide-1 returned no partition")
	}
	if p := m.AwaitPartition(context.Background(), "absent", 0, 0); p != nil {
		t.Fatal("AwaitPartition of a partition that is not opening returned one")
	}
}

// A request judged against an image this manager has not applied yet (it
// raced the metadata loop) waits for that image's replica rather than
// missing it: an idempotent producer whose first batch was refused while a
// later one was taken could never get the first accepted again.
func TestAwaitPartitionWaitsForANewerImage(t *testing.T) {
	m := newTestManager(t)
	im := testImage("late", 1, nil)
	im.AppliedIndex = 7
	awaited := make(chan *Partition, 1)
	go func() { awaited <- m.AwaitPartition(context.Background(), "late", 0, im.AppliedIndex) }()
	time.Sleep(100 * time.Millisecond)
	select {
	case <-awaited:
		t.Fatal("AwaitPartition returned before the manager saw the request's image")
	default:
	}
	if err := m.ApplyImage(im); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-awaited:
		if p == nil {
			t.Fatal("AwaitPartition returned no partition after the image was applied")
		}
	case <-time.After(maxOpenWait / 2):
		t.Fatal("AwaitPartition did not return once the image was applied")
	}
	// Once the manager has seen the image, a replica it does not host is
	// answered at once.
	start := time.Now()
	if p := m.AwaitPartition(context.Background(), "late", 5, im.AppliedIndex); p != nil || time.Since(start) > maxOpenWait/2 {
		t.Fatalf("AwaitPartition of a partition not in the applied image: %v after %v", p, time.Since(start))
	}
}
