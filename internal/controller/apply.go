package controller

import (
	"fmt"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// The apply functions run on the FSM goroutine against a private clone of
// the current image. They must be deterministic: the same record applied to
// the same image gives the same result (or the same error) on every node.
// A *Topic reachable from next is shared with older images: replace it with
// a clone, never modify it.

func applyRegisterBroker(next *metadata.Image, rec *RegisterBrokerRecord) error {
	b := rec.Broker
	b.Epoch = int64(next.AppliedIndex) // Apply set it to this record's index
	next.Brokers[b.ID] = b
	return nil
}

func applyFence(fenced bool) func(*metadata.Image, *FenceBrokerRecord) error {
	return func(next *metadata.Image, rec *FenceBrokerRecord) error {
		b, ok := next.Brokers[rec.ID]
		if !ok {
			return domainErr(ErrUnknownBroker, fmt.Sprintf("Broker %d is not registered.", rec.ID))
		}
		b.Fenced = fenced
		next.Brokers[rec.ID] = b
		return nil
	}
}

func applyCreateTopic(next *metadata.Image, rec *CreateTopicRecord) error {
	if _, ok := next.Topics[rec.Name]; ok {
		return topicExistsErr(rec.Name)
	}
	if _, ok := next.TopicsByID[rec.ID]; ok || rec.ID == ([16]byte{}) {
		return fmt.Errorf("create topic %q: topic id unusable: %w", rec.Name, ErrTopicExists)
	}
	t := &metadata.Topic{Name: rec.Name, ID: rec.ID, Configs: map[string]string{}}
	for k, v := range rec.Configs {
		t.Configs[k] = v
	}
	if err := appendPartitions(t, rec.Partitions); err != nil {
		return err
	}
	next.Topics[t.Name] = t
	next.TopicsByID[t.ID] = t
	return nil
}

func applyRemoveTopic(next *metadata.Image, rec *RemoveTopicRecord) error {
	t, ok := next.TopicsByID[rec.ID]
	if !ok || t.Name != rec.Name {
		return unknownTopicErr(rec.Name)
	}
	delete(next.Topics, t.Name)
	delete(next.TopicsByID, t.ID)
	return nil
}

func applyCreatePartitions(next *metadata.Image, rec *CreatePartitionsRecord) error {
	old, ok := next.TopicsByID[rec.TopicID]
	if !ok {
		return domainErr(ErrUnknownTopic, "This server does not host this topic ID.")
	}
	t := old.Clone()
	if err := appendPartitions(t, rec.Partitions); err != nil {
		return err
	}
	replaceTopic(next, t)
	return nil
}

// appendPartitions adds new partitions, which must continue t's indexes.
func appendPartitions(t *metadata.Topic, parts []PartitionAssign) error {
	for _, pa := range parts {
		if int(pa.Index) != len(t.Partitions) || len(pa.Replicas) == 0 {
			return domainErr(ErrInvalidReplicaAssignment,
				fmt.Sprintf("Invalid assignment for partition %d of topic %s.", pa.Index, t.Name))
		}
		t.Partitions = append(t.Partitions, metadata.Partition{
			Index:    pa.Index,
			Leader:   pa.Replicas[0],
			Replicas: slices.Clone(pa.Replicas),
			ISR:      slices.Clone(pa.Replicas),
		})
	}
	return nil
}

func applyConfigChange(next *metadata.Image, rec *ConfigChangeRecord) error {
	old, ok := next.Topics[rec.Topic]
	if !ok {
		return unknownTopicErr(rec.Topic)
	}
	t := old.Clone()
	if rec.ReplaceAll {
		t.Configs = map[string]string{}
	}
	for _, k := range rec.Delete {
		delete(t.Configs, k)
	}
	for k, v := range rec.Set {
		t.Configs[k] = v
	}
	replaceTopic(next, t)
	return nil
}

func applyPartitionChange(next *metadata.Image, rec *PartitionChangeRecord) error {
	old, ok := next.TopicsByID[rec.TopicID]
	if !ok {
		return domainErr(ErrUnknownTopic, "This server does not host this topic ID.")
	}
	if rec.Partition < 0 || int(rec.Partition) >= len(old.Partitions) {
		return domainErr(ErrInvalidPartitions,
			fmt.Sprintf("Partition %d of topic %s does not exist.", rec.Partition, old.Name))
	}
	t := old.Clone()
	p := &t.Partitions[rec.Partition]
	if rec.Leader != nil && *rec.Leader != p.Leader {
		p.Leader = *rec.Leader
		p.LeaderEpoch++
	}
	if rec.ISR != nil {
		p.ISR = slices.Clone(rec.ISR)
	} else if rec.EmptyISR {
		p.ISR = nil
	}
	if rec.ELR != nil {
		p.ELR = slices.Clone(*rec.ELR)
	}
	if rec.LastKnownELR != nil {
		p.LastKnownELR = slices.Clone(*rec.LastKnownELR)
	}
	if rec.Replicas != nil {
		p.Replicas = slices.Clone(rec.Replicas)
	}
	if r := rec.Reassignment; r != nil {
		p.AddingReplicas, p.RemovingReplicas = slices.Clone(r.Adding), slices.Clone(r.Removing)
	}
	p.PartitionEpoch++
	replaceTopic(next, t)
	return nil
}

func applyClusterID(next *metadata.Image, rec *ClusterIDRecord) error {
	if next.ClusterID == "" {
		next.ClusterID = rec.ClusterID
	}
	return nil
}

// replaceTopic installs t in both topic maps of next.
func replaceTopic(next *metadata.Image, t *metadata.Topic) {
	next.Topics[t.Name] = t
	next.TopicsByID[t.ID] = t
}

func topicExistsErr(name string) error {
	return domainErr(ErrTopicExists, fmt.Sprintf("Topic '%s' already exists.", name))
}

func unknownTopicErr(name string) error {
	return domainErr(ErrUnknownTopic, fmt.Sprintf("Topic '%s' does not exist.", name))
}
