package controller

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/samsa-io/samsa/internal/metadata"
)

// BrokerConfigRecord sets and deletes the dynamic broker configs of one
// resource: Broker "" is the cluster-wide default, "<id>" one broker.
// With ReplaceAll (legacy AlterConfigs) every key not in Set is removed.
type BrokerConfigRecord struct {
	Broker     string            `json:"broker"`
	Set        map[string]string `json:"set,omitempty"`
	Delete     []string          `json:"delete,omitempty"`
	ReplaceAll bool              `json:"replace_all,omitempty"`
}

// BrokerConfigEdit turns a resource's current dynamic broker configs into
// the new ones, or refuses the change. It runs under the controller's
// propose lock, so no other change to the resource interleaves.
type BrokerConfigEdit func(current map[string]string) (map[string]string, error)

// AlterBrokerConfig changes the dynamic configs of one broker resource
// ("" or a broker id): edit, which also validates, gets a copy of the
// stored ones. The caller checks the resource name (Kafka's receiving
// broker accepts only "" and its own id). validateOnly stops after edit.
func (c *Controller) AlterBrokerConfig(ctx context.Context, resource string, edit BrokerConfigEdit, validateOnly bool) error {
	if err := checkBrokerConfigResource(resource); err != nil {
		return err
	}
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	current := c.Image().BrokerConfig(resource)
	final, err := edit(maps.Clone(current))
	if err != nil {
		return err
	}
	if err := checkELRBrokerConfig(resource, current, final); err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	diff := configDiff("", current, final)
	rec := &BrokerConfigRecord{Broker: resource, Set: diff.Set, Delete: diff.Delete}
	if len(rec.Set) == 0 && len(rec.Delete) == 0 {
		return nil
	}
	if err := c.propose(ctx, RecordBrokerConfig, rec); err != nil {
		return err
	}
	if _, ok := rec.Set[minInsyncReplicasKey]; ok && resource == clusterConfigResource {
		return c.clearELRLocked(ctx, nil)
	}
	return nil
}

// checkBrokerConfigResource accepts "" and a non-negative broker id.
func checkBrokerConfigResource(resource string) error {
	if resource == metadata.DefaultBrokerConfigResource {
		return nil
	}
	id, err := strconv.ParseInt(resource, 10, 32)
	if err != nil || id < 0 || strconv.FormatInt(id, 10) != resource {
		return domainErr(ErrInvalidRequest, "Broker id must be an integer, but it is: "+resource)
	}
	return nil
}

func applyBrokerConfig(next *metadata.Image, rec *BrokerConfigRecord) error {
	if err := checkBrokerConfigResource(rec.Broker); err != nil {
		return err
	}
	vals := maps.Clone(next.BrokerConfigs[rec.Broker])
	if vals == nil || rec.ReplaceAll {
		vals = map[string]string{}
	}
	for _, k := range rec.Delete {
		delete(vals, k)
	}
	maps.Copy(vals, rec.Set)
	out := maps.Clone(next.BrokerConfigs)
	if out == nil {
		out = map[string]map[string]string{}
	}
	if len(vals) == 0 {
		delete(out, rec.Broker)
	} else {
		out[rec.Broker] = vals
	}
	next.BrokerConfigs = out
	return nil
}

// snapshotBrokerConfigs lists the image's dynamic broker configs as
// records that recreate them, sorted by resource.
func snapshotBrokerConfigs(im *metadata.Image) []BrokerConfigRecord {
	out := make([]BrokerConfigRecord, 0, len(im.BrokerConfigs))
	for _, res := range slices.Sorted(maps.Keys(im.BrokerConfigs)) {
		out = append(out, BrokerConfigRecord{Broker: res, Set: maps.Clone(im.BrokerConfigs[res])})
	}
	return out
}
