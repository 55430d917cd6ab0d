package partition

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/storage"
)

// Start-up removes a partition directory only when the image says it is
// not this node's; one the image assigns here but that failed to open (a
// directory where a segment or partition.metadata should be) is kept and
// its replica is offline with storage.ErrStorage.
func TestOrphanRemovalFollowsTheImage(t *testing.T) {
	m := newTestManager(t)
	ld := m.broker.LogDirs[0]
	im := testImage("a", 3, nil)
	elsewhere := &metadata.Topic{Name: "b", ID: [16]byte{9}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{2}, ISR: []int32{2}}}}
	im.Topics["b"], im.TopicsByID[elsewhere.ID] = elsewhere, elsewhere

	mkdir := func(rel string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(ld, rel), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := func(dir string) string { return filepath.Join(ld, dir, "00000000000000000000.log") }
	for _, d := range []string{"a-1", "a-2", "gone-0", "b-0", "a-7"} {
		mkdir(d)
		if err := os.WriteFile(data(d), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mkdir("a-1/partition.metadata")       // unreadable topic id
	mkdir("a-2/00000000000000000005.log") // a directory in place of a segment

	if err := m.ApplyImage(im); err == nil {
		t.Fatal("ApplyImage reported no error for the partitions that cannot open")
	}
	m.RemoveOrphans(im)

	for _, d := range []string{"a-1", "a-2"} {
		if _, err := os.Stat(data(d)); err != nil {
			t.Errorf("%s failed to open and lost its data: %v", d, err)
		}
	}
	for _, d := range []string{"gone-0", "b-0", "a-7"} {
		if _, err := os.Stat(filepath.Join(ld, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is not this node's in the image but was kept (%v)", d, err)
		}
	}
	if m.Partition("a", 0) == nil || m.Offline("a", 0) != nil {
		t.Errorf("a-0 should be open and online")
	}
	for _, i := range []int32{1, 2} {
		if err := m.Offline("a", i); !errors.Is(err, storage.ErrStorage) {
			t.Errorf("a-%d: Offline = %v, want storage.ErrStorage", i, err)
		}
	}

	// Offline stays offline (no retry per image) until the topic goes;
	// then the image says so and the directories may go too.
	if err := m.ApplyImage(im); err != nil {
		t.Errorf("second ApplyImage retried the offline partitions: %v", err)
	}
	empty := metadata.Empty()
	if err := m.ApplyImage(empty); err != nil {
		t.Fatal(err)
	}
	if m.Offline("a", 1) != nil {
		t.Errorf("a-1 still offline after its topic was deleted")
	}
	m.RemoveOrphans(empty)
	if _, err := os.Stat(filepath.Join(ld, "a-1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a-1 kept after its topic was deleted (%v)", err)
	}
}

// A partition directory that cannot even be stat'ed (ELOOP here; EIO or
// EACCES on a failing disk) is not taken for absent: the partition goes
// offline instead of opening a new, empty log in another log dir that
// would hide the acknowledged records.
func TestUnreadablePartitionDirIsNotShadowed(t *testing.T) {
	m := newTestManager(t)
	ld1, ld2 := m.broker.LogDirs[0], t.TempDir()
	m.broker.LogDirs = append(m.broker.LogDirs, ld2)
	if err := os.Symlink("a-0", filepath.Join(ld1, "a-0")); err != nil { // a loop: stat fails with ELOOP
		t.Fatal(err)
	}
	if err := m.ApplyImage(testImage("a", 1, nil)); err == nil {
		t.Fatal("ApplyImage reported no error for an unreadable partition dir")
	}
	if m.Partition("a", 0) != nil {
		t.Fatal("a-0 opened although its directory cannot be read")
	}
	if err := m.Offline("a", 0); !errors.Is(err, storage.ErrStorage) {
		t.Fatalf("Offline = %v, want storage.ErrStorage", err)
	}
	if _, err := os.Stat(filepath.Join(ld2, "a-0")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a fresh a-0 was created in the other log dir (%v)", err)
	}
}

// A topic whose configuration this broker cannot resolve (a value it
// rejects, say from a controller of another version) is still assigned
// here: its open replicas keep serving with the configuration they have
// and its directories are not deleted as if the topic were gone.
func TestUnresolvableTopicConfigKeepsPartitions(t *testing.T) {
	m := newTestManager(t)
	if err := m.ApplyImage(testImage("a", 2, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Partition("a", 0).Append(batch(t, -1, -1, 3)); err != nil {
		t.Fatal(err)
	}
	if err := m.ApplyImage(testImage("a", 2, map[string]string{"retention.ms": "not a number"})); err == nil {
		t.Fatal("ApplyImage reported no error for a configuration it cannot resolve")
	}
	for _, i := range []int32{0, 1} {
		if m.Partition("a", i) == nil {
			t.Fatalf("a-%d dropped because its topic's configuration did not resolve", i)
		}
		if _, err := os.Stat(filepath.Join(m.broker.LogDirs[0], fmt.Sprintf("a-%d", i))); err != nil {
			t.Fatalf("a-%d directory: %v", i, err)
		}
	}
	if end := m.Partition("a", 0).LogEndOffset(); end != 3 {
		t.Fatalf("a-0 ends at %d, want the 3 records appended", end)
	}
}

// The cleaner passes over an offline log: storage refuses to compact it
// (CleanStats fails too, so dirtiest skips it), and picking it (it stays
// the most urgent) would stop every other log from being cleaned.
func TestCleanerSkipsOfflineLogs(t *testing.T) {
	m := newTestManager(t)
	cfg := map[string]string{"cleanup.policy": "compact", "segment.bytes": "2048",
		"min.cleanable.dirty.ratio": "0.1", "file.delete.delay.ms": "0"}
	urgent := map[string]string{"max.compaction.lag.ms": "1"}
	for k, v := range cfg {
		urgent[k] = v
	}
	// c0 must be cleaned first: max.compaction.lag.ms passed.
	keys := twoDirtyCompactedLogs(t, m, urgent, cfg)
	c0 := m.Partition("c0", 0)
	c0.SetWriteFault(func() error { return syscall.EIO })
	if _, err := c0.Append(keyedBatch(t, keys, 100)); !errors.Is(err, storage.ErrStorage) {
		t.Fatalf("append on a failing disk: %v", err)
	}
	before := m.Partition("c1", 0).log.Size()
	time.Sleep(5 * time.Millisecond) // past max.compaction.lag.ms
	for range 5 {
		m.CleanOnce(context.Background(), time.Now())
	}
	if after := m.Partition("c1", 0).log.Size(); after >= before {
		t.Fatalf("c1 not cleaned (%d bytes, was %d) while c0 is offline", after, before)
	}
}

// A partition.metadata left empty or torn (it is written without fsync, so
// a power loss can do that) keeps its directory and data and the replica
// opens: the file is written again.
func TestTornPartitionMetadataKeepsTheReplica(t *testing.T) {
	m := newTestManager(t)
	im := testImage("torn", 2, nil)
	dir0 := filepath.Join(m.broker.LogDirs[0], "torn-0")
	dir1 := filepath.Join(m.broker.LogDirs[0], "torn-1")
	for dir, content := range map[string]string{dir0: "", dir1: "version: 0\ntopic_id: AAA"} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "partition.metadata"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.ApplyImage(im); err != nil {
		t.Fatal(err)
	}
	m.RemoveOrphans(im)
	want := im.Topics["torn"].ID
	for i, dir := range []string{dir0, dir1} {
		if m.Partition("torn", int32(i)) == nil || m.Offline("torn", int32(i)) != nil {
			t.Errorf("torn-%d did not open: %v", i, m.Offline("torn", int32(i)))
		}
		if _, err := os.Stat(filepath.Join(dir, "keep")); err != nil {
			t.Errorf("torn-%d lost its directory's contents: %v", i, err)
		}
		if id, err := readTopicID(dir); err != nil || id != want {
			t.Errorf("torn-%d: partition.metadata not written again: %v %v", i, id, err)
		}
	}
}

// An offline replica keeps its high watermark checkpoint entry: the file
// is rewritten from the open partitions, and without the entry a replica
// whose disk is repaired would start its high watermark from nothing.
func TestOfflineReplicaKeepsItsCheckpointedHighWatermark(t *testing.T) {
	m := newTestManager(t)
	ld := m.broker.LogDirs[0]
	if err := os.MkdirAll(filepath.Join(ld, "a-2", "00000000000000000005.log"), 0o755); err != nil {
		t.Fatal(err) // a directory in place of a segment: a-2 cannot open
	}
	start := map[TopicPartition]int64{{"a", 2}: 7}
	if err := os.WriteFile(filepath.Join(ld, hwCheckpointFile), encodeHWCheckpoint(start), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.ApplyImage(testImage("a", 3, nil)); err == nil {
		t.Fatal("a-2 opened")
	}
	if err := m.writeHWCheckpoints(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(ld, hwCheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	hws, err := decodeHWCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if hw, ok := hws[TopicPartition{"a", 2}]; !ok || hw != 7 {
		t.Fatalf("checkpoint after a write: %v, want a-2 kept at 7", hws)
	}
}

// twoDirtyCompactedLogs opens compacted topics c0 and c1 (one partition
// each, with the given configs) and writes 100 batches over the same three
// keys to each, so both are eligible for cleaning; it returns the keys.
func twoDirtyCompactedLogs(t *testing.T, m *Manager, c0Cfg, c1Cfg map[string]string) []*string {
	t.Helper()
	im := testImage("c0", 1, c0Cfg)
	c1 := testImage("c1", 1, c1Cfg).Topics["c1"]
	c1.ID = [16]byte{9}
	im.Topics["c1"], im.TopicsByID[c1.ID] = c1, c1
	if err := m.ApplyImage(im); err != nil {
		t.Fatal(err)
	}
	keys := []*string{ptr("a"), ptr("b"), ptr("c")}
	for _, name := range []string{"c0", "c1"} {
		for tag := range 100 {
			if _, err := m.Partition(name, 0).Append(keyedBatch(t, keys, tag)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return keys
}
