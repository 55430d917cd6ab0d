package controller

import (
	"errors"
	"reflect"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

// populate writes a little of everything and returns the image.
func populate(t *testing.T, c *Controller, prefix string) *metadata.Image {
	t.Helper()
	registerBrokers(t, c, 1, 2, 3)
	_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: prefix + "a", NumPartitions: 3, ReplicationFactor: 2,
		Configs: map[string]string{"retention.ms": "60000"}})
	must(t, err, "create a")
	_, err = c.CreateTopic(ctxT(t), CreateTopicRequest{Name: prefix + "b", NumPartitions: 1, ReplicationFactor: 3})
	must(t, err, "create b")
	_, err = c.CreateTopic(ctxT(t), CreateTopicRequest{Name: prefix + "gone", NumPartitions: 1, ReplicationFactor: 1})
	must(t, err, "create gone")
	_, err = c.DeleteTopic(ctxT(t), prefix+"gone")
	must(t, err, "delete gone")
	must(t, c.CreatePartitions(ctxT(t), prefix+"b", 4, nil, false), "create partitions")
	must(t, c.AlterTopicConfig(ctxT(t), prefix+"a", []ConfigOp{{Key: "cleanup.policy", Value: "compact"}}, false, false), "alter")
	must(t, c.FenceBroker(ctxT(t), 3, true), "fence")
	return c.Image()
}

// sameState compares the replicated parts of two images.
func sameState(t *testing.T, got, want *metadata.Image) {
	t.Helper()
	if got.ClusterID != want.ClusterID {
		t.Fatalf("cluster id %q, want %q", got.ClusterID, want.ClusterID)
	}
	if !reflect.DeepEqual(got.Brokers, want.Brokers) {
		t.Fatalf("brokers %v, want %v", got.Brokers, want.Brokers)
	}
	if !reflect.DeepEqual(got.Topics, want.Topics) {
		t.Fatalf("topics differ:\n got %v\nwant %v", got.Topics, want.Topics)
	}
	if len(got.TopicsByID) != len(want.TopicsByID) {
		t.Fatalf("%d topics by id, want %d", len(got.TopicsByID), len(want.TopicsByID))
	}
	for id, tp := range got.TopicsByID {
		if got.Topics[tp.Name] != tp || tp.ID != id {
			t.Fatalf("TopicsByID[%x] inconsistent with Topics", id)
		}
	}
}

func reopen(t *testing.T, c *Controller, cfg Config) *Controller {
	t.Helper()
	must(t, c.Close(), "close")
	cfg.ClusterID = "ignored-on-restart"
	return startController(t, cfg)
}

func TestRestartRestoresLog(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	c := startController(t, cfg)
	want := populate(t, c, "")
	c = reopen(t, c, cfg)
	sameState(t, c.Image(), want)
	// The restored node keeps working.
	_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "a", NumPartitions: 1, ReplicationFactor: 1})
	if !errors.Is(err, ErrTopicExists) {
		t.Fatalf("create existing after restart: %v", err)
	}
}

func TestRestartAfterSnapshot(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	c := startController(t, cfg)
	populate(t, c, "")
	must(t, c.raft.Snapshot().Error(), "snapshot")
	want := populate(t, c, "post-")
	c = reopen(t, c, cfg)
	sameState(t, c.Image(), want)

	// A snapshot that covers the whole log restores alone.
	must(t, c.raft.Snapshot().Error(), "second snapshot")
	c = reopen(t, c, cfg)
	sameState(t, c.Image(), want)
}

func TestUnknownRecordIsFatal(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1)
	before := c.Image()
	for _, data := range [][]byte{{200, 1, '{', '}'}} {
		must(t, c.raft.Apply(data, testTimeout*10).Error(), "raft apply")
	}
	select {
	case err := <-c.Fatal():
		if !errors.Is(err, ErrUnknownRecord) {
			t.Fatalf("fatal error %v, want ErrUnknownRecord", err)
		}
	default:
		t.Fatal("no fatal error reported")
	}
	err := c.RegisterBroker(ctxT(t), metadata.Broker{ID: 5})
	if !errors.Is(err, ErrUnknownRecord) {
		t.Fatalf("proposal after fatal: %v", err)
	}
	if c.Image() != before {
		t.Fatal("image changed after the FSM stopped")
	}
}

func TestBadPayloadIsFatal(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	data := []byte{byte(RecordCreateTopic), 1, '['}
	must(t, c.raft.Apply(data, testTimeout*10).Error(), "raft apply")
	select {
	case err := <-c.Fatal():
		if err == nil {
			t.Fatal("nil fatal error")
		}
	default:
		t.Fatal("no fatal error reported")
	}
	unknownVersion := []byte{byte(RecordCreateTopic), 99, '{', '}'}
	if _, _, err := lookupHandler(unknownVersion); !errors.Is(err, ErrUnknownRecord) {
		t.Fatalf("unknown version: %v", err)
	}
}
