package handler

import (
	"context"

	"github.com/samsa-io/samsa/internal/group"
)

// Groups is the consumer-group coordinator as the group APIs (8–16, 42, 47)
// use it. *group.Coordinator satisfies it. Every method is safe for
// concurrent use; Join and Sync block until the rebalance step completes or
// ctx ends.
type Groups interface {
	PartitionFor(groupID string) int32
	Status(offsetsPartition int32) group.PartitionStatus
	Join(ctx context.Context, req group.JoinRequest) group.JoinResult
	Sync(ctx context.Context, req group.SyncRequest) group.SyncResult
	Heartbeat(req group.HeartbeatRequest) error
	Leave(groupID string, members []group.LeaveMember) ([]error, error)
	Commit(ctx context.Context, req group.CommitRequest) ([]error, error)
	FetchOffsets(groupID string, tps []group.TopicPartition) ([]group.FetchedOffset, error)
	ListGroups() (groups []group.Summary, loading bool)
	DescribeGroup(groupID string) (group.Description, error)
	DeleteGroup(ctx context.Context, groupID string) error
	DeleteOffsets(ctx context.Context, groupID string, tps []group.TopicPartition) ([]error, error)
	ConsumerHeartbeat(ctx context.Context, req group.ConsumerHeartbeat) group.ConsumerHeartbeatResult
	DescribeConsumerGroup(groupID string) (group.ConsumerDescription, error)
}

// noGroups answers every group request with COORDINATOR_NOT_AVAILABLE; it
// stands in when Deps.Groups is nil.
type noGroups struct{}

func (noGroups) PartitionFor(string) int32                 { return 0 }
func (noGroups) Status(int32) group.PartitionStatus        { return group.NotOwned }
func (noGroups) Heartbeat(group.HeartbeatRequest) error    { return group.ErrCoordinatorUnavailable }
func (noGroups) ListGroups() ([]group.Summary, bool)       { return nil, false }
func (noGroups) DeleteGroup(context.Context, string) error { return group.ErrCoordinatorUnavailable }
func (noGroups) Join(context.Context, group.JoinRequest) group.JoinResult {
	return group.JoinResult{Err: group.ErrCoordinatorUnavailable, Generation: -1}
}
func (noGroups) Sync(context.Context, group.SyncRequest) group.SyncResult {
	return group.SyncResult{Err: group.ErrCoordinatorUnavailable}
}
func (noGroups) Leave(string, []group.LeaveMember) ([]error, error) {
	return nil, group.ErrCoordinatorUnavailable
}
func (noGroups) Commit(context.Context, group.CommitRequest) ([]error, error) {
	return nil, group.ErrCoordinatorUnavailable
}
func (noGroups) FetchOffsets(string, []group.TopicPartition) ([]group.FetchedOffset, error) {
	return nil, group.ErrCoordinatorUnavailable
}
func (noGroups) DescribeGroup(string) (group.Description, error) {
	return group.Description{}, group.ErrCoordinatorUnavailable
}
func (noGroups) DeleteOffsets(context.Context, string, []group.TopicPartition) ([]error, error) {
	return nil, group.ErrCoordinatorUnavailable
}

func (noGroups) ConsumerHeartbeat(context.Context, group.ConsumerHeartbeat) group.ConsumerHeartbeatResult {
	return group.ConsumerHeartbeatResult{Err: group.ErrCoordinatorUnavailable}
}
func (noGroups) DescribeConsumerGroup(string) (group.ConsumerDescription, error) {
	return group.ConsumerDescription{}, group.ErrCoordinatorUnavailable
}

type clientKey struct{}

// clientInfo identifies the client of the request being served.
type clientInfo struct {
	id       string // the request header's client id
	host     string // the connection's remote host, "" if unknown
	listener string // the listener the request arrived on, "" in-process
}

// withClient records the request's client id, remote host and listener
// for handlers that store them (JoinGroup; DescribeGroups shows them) or
// answer per listener (Metadata, FindCoordinator, DescribeCluster).
func withClient(ctx context.Context, clientID, host, listener string) context.Context {
	return context.WithValue(ctx, clientKey{}, clientInfo{id: clientID, host: host, listener: listener})
}

type principalKey struct{}

// withPrincipal records the request's authenticated principal ("" in-process
// or without authentication) for the few APIs that filter what they serve
// by ACLs after the request's hook has run (regex subscriptions).
func withPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

func principalOf(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

func clientOf(ctx context.Context) clientInfo {
	ci, _ := ctx.Value(clientKey{}).(clientInfo)
	return ci
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
