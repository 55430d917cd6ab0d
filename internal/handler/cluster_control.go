package handler

import (
	"context"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// ClusterControl is what the broker-to-controller APIs (BrokerRegistration,
// BrokerHeartbeat, AlterPartition) need from the active controller. The
// controller package's *Controller satisfies it; every method fails with
// controller.ErrNotController on a node that is not the active controller,
// which the handler answers as NOT_CONTROLLER so the broker re-resolves.
type ClusterControl interface {
	RegisterBrokerIncarnation(ctx context.Context, b metadata.Broker, previousEpoch int64) (int64, error)
	BrokerHeartbeat(ctx context.Context, req controller.HeartbeatRequest) (controller.HeartbeatResult, error)
	AlterPartition(ctx context.Context, req controller.AlterPartitionRequest) (metadata.Partition, error)
}
