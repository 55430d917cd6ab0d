package partition

import (
	"testing"
	"time"
)

// A topic without an override follows the dynamic broker defaults as soon
// as an image carries them: the cluster-wide default, then this broker's
// own value over it, then back to the static config when they go. A
// topic's own override still wins, and log.cleaner.threads sizes the
// cleaner.
func TestDynamicBrokerConfigsReconfigureTopics(t *testing.T) {
	m := newTestManager(t)
	im := testImage("plain", 1, nil)
	own := testImage("own", 1, map[string]string{"retention.ms": "5"}).Topics["own"]
	own.ID = [16]byte{7}
	im.Topics["own"], im.TopicsByID[own.ID] = own, own
	apply := func(dyn map[string]map[string]string) {
		t.Helper()
		next := im.Clone()
		next.BrokerConfigs = dyn
		if err := m.ApplyImage(next); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, retention, segment int64, threads int32) {
		t.Helper()
		cfg := m.Partition("plain", 0).Config()
		if cfg.RetentionMs != retention || cfg.SegmentBytes != segment {
			t.Errorf("%s: retention.ms %d segment.bytes %d, want %d %d", when, cfg.RetentionMs, cfg.SegmentBytes, retention, segment)
		}
		if got := m.Partition("own", 0).Config().RetentionMs; got != 5 {
			t.Errorf("%s: the topic's own retention.ms became %d", when, got)
		}
		if got := m.cleanerThreads.Load(); got != threads {
			t.Errorf("%s: cleaner threads %d, want %d", when, got, threads)
		}
	}
	apply(nil)
	check("static", 7*24*3600*1000, 1<<30, 1)
	apply(map[string]map[string]string{"": {"log.retention.ms": "1000", "log.segment.bytes": "1048576", "log.cleaner.threads": "2"}})
	check("cluster default", 1000, 1048576, 2)
	apply(map[string]map[string]string{
		"":  {"log.retention.ms": "1000", "log.segment.bytes": "1048576", "log.cleaner.threads": "2"},
		"1": {"log.retention.ms": "2000", "log.cleaner.threads": "3"},
		"2": {"log.retention.ms": "9"},
	})
	check("per broker", 2000, 1048576, 3)
	apply(nil)
	check("removed", 7*24*3600*1000, 1<<30, 1)
}

// Cleaner workers never pick a log another worker is cleaning.
func TestCleanerWorkersClaimDistinctLogs(t *testing.T) {
	m := newTestManager(t)
	cfg := map[string]string{"cleanup.policy": "compact", "segment.bytes": "2048",
		"min.cleanable.dirty.ratio": "0.1", "file.delete.delay.ms": "0"}
	twoDirtyCompactedLogs(t, m, cfg, cfg)
	now := time.Now()
	first, second := m.claimDirtiest(now), m.claimDirtiest(now)
	if first == nil || second == nil || first == second {
		t.Fatalf("claimed %v and %v, want both logs once each", first, second)
	}
	if third := m.claimDirtiest(now); third != nil {
		t.Fatalf("claimed %s-%d a third time", third.Topic, third.Index)
	}
	m.releaseCleaning(first)
	if again := m.claimDirtiest(now); again != first {
		t.Fatalf("after release claimed %v, want %v", again, first)
	}
}
