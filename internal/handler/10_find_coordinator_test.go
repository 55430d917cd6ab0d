package handler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

func TestFindCoordinatorAnswersPartitionLeader(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("__consumer_offsets", 9, testOffsetsPartitions, nil))
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorKey = 3, "g"
	resp := serve[*kmsg.FindCoordinatorResponse](f, req)
	code(t, "v3", resp.ErrorCode, nil)
	if resp.NodeID != 1 || resp.Host != "h1" || resp.Port != 9092 {
		t.Fatalf("coordinator %d %s:%d", resp.NodeID, resp.Host, resp.Port)
	}
	req.Version, req.CoordinatorKeys = 5, []string{"a", "b", ""}
	resp = serve[*kmsg.FindCoordinatorResponse](f, req)
	if len(resp.Coordinators) != 3 || resp.Coordinators[1].Key != "b" || resp.Coordinators[1].NodeID != 1 {
		t.Fatalf("batched = %+v", resp.Coordinators)
	}
	code(t, "empty key", resp.Coordinators[2].ErrorCode, kerr.InvalidRequest)
	req.CoordinatorType, req.CoordinatorKeys = 1, []string{"txn"}
	resp = serve[*kmsg.FindCoordinatorResponse](f, req)
	code(t, "transaction key", resp.Coordinators[0].ErrorCode, kerr.CoordinatorNotAvailable)
}

func TestFindCoordinatorCreatesOffsetsTopic(t *testing.T) {
	f := newGroupsFixture(t)
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorKeys = 4, []string{"g"}
	resp := serve[*kmsg.FindCoordinatorResponse](f, req)
	// The fake controller creates a topic without partitions, so there is
	// no leader yet: clients retry.
	code(t, "before the topic has a leader", resp.Coordinators[0].ErrorCode, kerr.CoordinatorNotAvailable)
	if len(f.ctl.creates) != 1 {
		t.Fatalf("creates = %+v", f.ctl.creates)
	}
	c := f.ctl.creates[0]
	if c.Name != "__consumer_offsets" || c.NumPartitions != testOffsetsPartitions || c.ReplicationFactor != 1 ||
		c.Configs["cleanup.policy"] != "compact" || c.Configs["segment.bytes"] != "104857600" {
		t.Fatalf("create request = %+v", c)
	}
	f.h.Config.OffsetsTopicReplicationFactor = 3 // more than the two live brokers
	f.ctl.creates = nil
	var logged bytes.Buffer
	f.h.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	for range 2 {
		resp = serve[*kmsg.FindCoordinatorResponse](f, req)
		code(t, "replication factor not satisfiable", resp.Coordinators[0].ErrorCode, kerr.CoordinatorNotAvailable)
	}
	if len(f.ctl.creates) != 0 {
		t.Fatal("created a topic that cannot be placed")
	}
	// The client sees only COORDINATOR_NOT_AVAILABLE: the server log says
	// why, once, as Kafka's does.
	want := "cannot create __consumer_offsets: 2 live brokers, fewer than its replication factor 3 (offsets.topic.replication.factor)"
	if n := strings.Count(logged.String(), want); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logged.String())
	}
}

// TestFindCoordinatorNotAvailableUntilLoaded: while this node leads the
// offsets partition in metadata but its coordinator has not loaded it, the
// answer is COORDINATOR_NOT_AVAILABLE, which every client retries (kafkajs
// fails a consumer on COORDINATOR_LOAD_IN_PROGRESS from FindCoordinator).
func TestFindCoordinatorNotAvailableUntilLoaded(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("__consumer_offsets", 9, testOffsetsPartitions, nil))
	f.c.SetLeaders(nil) // metadata says node 1 leads; the coordinator does not know yet
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorKey = 2, "g"
	resp := serve[*kmsg.FindCoordinatorResponse](f, req)
	code(t, "v2 before loading", resp.ErrorCode, kerr.CoordinatorNotAvailable)
	if resp.NodeID != -1 {
		t.Fatalf("coordinator %d named before it loaded", resp.NodeID)
	}
	req.Version, req.CoordinatorKeys = 4, []string{"g"}
	resp = serve[*kmsg.FindCoordinatorResponse](f, req)
	code(t, "v4 before loading", resp.Coordinators[0].ErrorCode, kerr.CoordinatorNotAvailable)
}

// TestFindCoordinatorForwardsOffsetsTopicCreation: on a broker that is not
// the active controller, the first lookup forwards a CreateTopics request
// for __consumer_offsets to the controller, as Kafka's brokers do, and
// answers COORDINATOR_NOT_AVAILABLE until the topic appears.
func TestFindCoordinatorForwardsOffsetsTopicCreation(t *testing.T) {
	f := newGroupsFixture(t)
	f.ctl.errs["__consumer_offsets"] = fmt.Errorf("%w: leader is 3", controller.ErrNotController)
	var forwarded []*kmsg.CreateTopicsRequest
	f.h.Forward = func(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
		ct := req.(*kmsg.CreateTopicsRequest)
		forwarded = append(forwarded, ct)
		resp := ct.ResponseKind().(*kmsg.CreateTopicsResponse)
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = ct.Topics[0].Topic
		resp.Topics = append(resp.Topics, rt)
		return resp, nil
	}
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorKey = 2, "g"
	resp := serve[*kmsg.FindCoordinatorResponse](f, req)
	code(t, "while the controller creates the topic", resp.ErrorCode, kerr.CoordinatorNotAvailable)
	if len(forwarded) != 1 {
		t.Fatalf("forwarded %d CreateTopics requests, want 1", len(forwarded))
	}
	ft := forwarded[0].Topics[0]
	cfg := map[string]string{}
	for _, c := range ft.Configs {
		cfg[c.Name] = *c.Value
	}
	if ft.Topic != "__consumer_offsets" || ft.NumPartitions != testOffsetsPartitions || ft.ReplicationFactor != 1 ||
		cfg["cleanup.policy"] != "compact" || cfg["segment.bytes"] != "104857600" {
		t.Fatalf("forwarded topic = %+v configs %v", ft, cfg)
	}
}
