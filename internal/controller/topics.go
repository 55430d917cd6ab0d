package controller

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/samsa-io/samsa/internal/metadata"
)

// CreateTopicRequest asks for a new topic. Topic name rules are the
// caller's job. With Assignments (partition -> replicas) NumPartitions and
// ReplicationFactor are ignored.
type CreateTopicRequest struct {
	Name              string
	NumPartitions     int32
	ReplicationFactor int16
	Assignments       map[int32][]int32
	Configs           map[string]string
	ValidateOnly      bool
}

// CreateTopic creates a topic and returns it as applied. With ValidateOnly
// it returns the topic it would create (with a zero ID) and writes nothing.
func (c *Controller) CreateTopic(ctx context.Context, req CreateTopicRequest) (*metadata.Topic, error) {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return nil, c.notController()
	}
	im := c.Image()
	if _, ok := im.Topic(req.Name); ok {
		return nil, topicExistsErr(req.Name)
	}
	parts, err := c.planTopic(im, req)
	if err != nil {
		return nil, err
	}
	if err := c.validateConfigs(req.Configs); err != nil {
		return nil, err
	}
	rec := &CreateTopicRecord{Name: req.Name, Partitions: parts, Configs: req.Configs}
	if req.ValidateOnly {
		return previewTopic(rec)
	}
	rec.ID = newTopicID(im)
	if err := c.propose(ctx, RecordCreateTopic, rec); err != nil {
		return nil, err
	}
	t, ok := c.Image().TopicByID(rec.ID)
	if !ok {
		return nil, fmt.Errorf("create topic %q: applied but missing from image", req.Name)
	}
	return t, nil
}

// planTopic returns the replica assignment of a new topic.
func (c *Controller) planTopic(im *metadata.Image, req CreateTopicRequest) ([]PartitionAssign, error) {
	if len(req.Assignments) > 0 {
		lists, err := assignmentLists(req.Assignments)
		if err != nil {
			return nil, err
		}
		return manualAssignments(im, 0, lists, 0)
	}
	if req.NumPartitions <= 0 {
		return nil, domainErr(ErrInvalidPartitions, "Number of partitions must be larger than 0.")
	}
	live := im.LiveBrokers()
	if err := checkReplicationFactor(int(req.ReplicationFactor), len(live)); err != nil {
		return nil, err
	}
	return placeReplicas(live, 0, req.NumPartitions, int(req.ReplicationFactor)), nil
}

// previewTopic builds the topic a CreateTopic record would create.
func previewTopic(rec *CreateTopicRecord) (*metadata.Topic, error) {
	im := metadata.Empty()
	preview := *rec
	preview.ID = [16]byte{1} // any non-zero ID passes the FSM's check
	if err := applyCreateTopic(im, &preview); err != nil {
		return nil, err
	}
	t := im.Topics[rec.Name]
	t.ID = [16]byte{}
	return t, nil
}

// newTopicID returns a random, non-zero topic ID unused in im.
func newTopicID(im *metadata.Image) [16]byte {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		if _, used := im.TopicsByID[id]; !used && id != ([16]byte{}) {
			return id
		}
	}
}

// DeleteTopic removes a topic and returns its ID.
func (c *Controller) DeleteTopic(ctx context.Context, name string) ([16]byte, error) {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return [16]byte{}, c.notController()
	}
	t, ok := c.Image().Topic(name)
	if !ok {
		return [16]byte{}, unknownTopicErr(name)
	}
	if err := c.propose(ctx, RecordRemoveTopic, &RemoveTopicRecord{ID: t.ID, Name: t.Name}); err != nil {
		return [16]byte{}, err
	}
	return t.ID, nil
}

// CreatePartitions grows a topic to totalCount partitions. assignments,
// if non-nil, gives the replicas of each new partition in order.
func (c *Controller) CreatePartitions(ctx context.Context, name string, totalCount int32, assignments [][]int32, validateOnly bool) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	im := c.Image()
	t, ok := im.Topic(name)
	if !ok {
		return unknownTopicErr(name)
	}
	parts, err := planPartitions(im, t, totalCount, assignments)
	if err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	return c.propose(ctx, RecordCreatePartitions, &CreatePartitionsRecord{TopicID: t.ID, Partitions: parts})
}

// planPartitions validates a CreatePartitions request and assigns the new
// partitions.
func planPartitions(im *metadata.Image, t *metadata.Topic, total int32, assignments [][]int32) ([]PartitionAssign, error) {
	cur := int32(len(t.Partitions))
	switch {
	case total < cur:
		return nil, domainErr(ErrInvalidPartitions, fmt.Sprintf(
			"Topic currently has %d partitions, which is higher than the requested %d.", cur, total))
	case total == cur:
		return nil, domainErr(ErrInvalidPartitions, fmt.Sprintf("Topic already has %d partitions.", cur))
	}
	rf := 0
	if cur > 0 {
		rf = len(t.Partitions[0].Replicas)
	}
	if assignments != nil {
		if int32(len(assignments)) != total-cur {
			return nil, domainErr(ErrInvalidReplicaAssignment, fmt.Sprintf(
				"Attempted to add %d additional partition(s), but only %d assignment(s) were specified.",
				total-cur, len(assignments)))
		}
		return manualAssignments(im, cur, assignments, rf)
	}
	live := im.LiveBrokers()
	if err := checkReplicationFactor(rf, len(live)); err != nil {
		return nil, err
	}
	return placeReplicas(live, cur, total-cur, rf), nil
}
