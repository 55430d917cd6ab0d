package handler

import (
	"context"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// Controller is what the handler needs from the metadata controller. The
// controller package's *Controller satisfies it; tests may fake it.
type Controller interface {
	CreateTopic(ctx context.Context, req controller.CreateTopicRequest) (*metadata.Topic, error)
	DeleteTopic(ctx context.Context, name string) ([16]byte, error)
	CreatePartitions(ctx context.Context, name string, totalCount int32, assignments [][]int32, validateOnly bool) error
	AlterTopicConfig(ctx context.Context, name string, ops []controller.ConfigOp, replaceAll, validateOnly bool) error
	// AlterPartitionReassignment starts or, with nil replicas, cancels a
	// reassignment (KIP-455).
	AlterPartitionReassignment(ctx context.Context, topic string, partition int32, replicas []int32) error
	// ElectLeaders runs leader elections; nil parts means every partition.
	ElectLeaders(ctx context.Context, typ controller.ElectionType, parts []controller.TopicPartition) ([]controller.ElectionResult, error)
	// UnregisterBroker removes a broker's registration (UnregisterBroker).
	UnregisterBroker(ctx context.Context, id int32) error
}
