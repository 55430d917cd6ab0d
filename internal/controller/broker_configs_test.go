package controller

import (
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

func TestApplyBrokerConfig(t *testing.T) {
	im := metadata.Empty()
	must(t, applyBrokerConfig(im, &BrokerConfigRecord{Broker: "", Set: map[string]string{"a": "1", "b": "2"}}), "set")
	before := im.Clone()
	must(t, applyBrokerConfig(im, &BrokerConfigRecord{Broker: "", Set: map[string]string{"c": "3"}, Delete: []string{"a"}}), "change")
	if want := map[string]string{"b": "2", "c": "3"}; !maps.Equal(im.BrokerConfigs[""], want) {
		t.Fatalf("configs %v, want %v", im.BrokerConfigs[""], want)
	}
	if want := map[string]string{"a": "1", "b": "2"}; !maps.Equal(before.BrokerConfigs[""], want) {
		t.Fatalf("the previous image changed: %v", before.BrokerConfigs[""])
	}
	must(t, applyBrokerConfig(im, &BrokerConfigRecord{Broker: "", Set: map[string]string{"d": "4"}, ReplaceAll: true}), "replace")
	if want := map[string]string{"d": "4"}; !maps.Equal(im.BrokerConfigs[""], want) {
		t.Fatalf("after replace %v, want %v", im.BrokerConfigs[""], want)
	}
	must(t, applyBrokerConfig(im, &BrokerConfigRecord{Broker: "", Delete: []string{"d"}}), "delete")
	if _, ok := im.BrokerConfigs[""]; ok {
		t.Fatalf("an empty resource stays: %v", im.BrokerConfigs)
	}
	if err := applyBrokerConfig(im, &BrokerConfigRecord{Broker: "x"}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("bad resource: %v", err)
	}
}

// Dynamic broker configs written through Raft merge per broker over the
// default, honour validate-only and a refusing edit, and survive a restart
// from the log and from a snapshot.
func TestBrokerConfigsThroughRaft(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	c := startController(t, cfg)
	setTo := func(kv map[string]string) BrokerConfigEdit {
		return func(cur map[string]string) (map[string]string, error) {
			maps.Copy(cur, kv)
			return cur, nil
		}
	}
	must(t, c.AlterBrokerConfig(ctxT(t), "", setTo(map[string]string{"log.retention.ms": "1000", "log.cleaner.threads": "2"}), false), "default")
	must(t, c.AlterBrokerConfig(ctxT(t), "1", setTo(map[string]string{"log.cleaner.threads": "3"}), false), "broker 1")
	must(t, c.AlterBrokerConfig(ctxT(t), "1", setTo(map[string]string{"log.segment.bytes": "1"}), true), "validate only")
	refused := errors.New("refused")
	if err := c.AlterBrokerConfig(ctxT(t), "1", func(map[string]string) (map[string]string, error) { return nil, refused }, false); !errors.Is(err, refused) {
		t.Fatalf("refusing edit: %v", err)
	}
	if err := c.AlterBrokerConfig(ctxT(t), "one", setTo(nil), false); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("bad resource: %v", err)
	}
	check := func(when string) {
		t.Helper()
		// min.insync.replicas: the cluster-level value bootstrap writes
		// for eligible leader replicas (elr_config.go).
		want := map[string]string{"log.retention.ms": "1000", "log.cleaner.threads": "3", "min.insync.replicas": "1"}
		if got := c.Image().DynamicBrokerConfig(1); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: broker 1 runs with %v, want %v", when, got, want)
		}
		want = map[string]string{"log.retention.ms": "1000", "log.cleaner.threads": "2", "min.insync.replicas": "1"}
		if got := c.Image().DynamicBrokerConfig(2); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: broker 2 runs with %v, want %v", when, got, want)
		}
	}
	check("applied")
	c = reopen(t, c, cfg)
	check("after restart")
	must(t, c.raft.Snapshot().Error(), "snapshot")
	c = reopen(t, c, cfg)
	check("after snapshot")
}
