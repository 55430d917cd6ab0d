package server

import (
	"time"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/topiclog"
)

// startGroups builds the group coordinator over this node's
// __consumer_offsets replicas. The metadata loop keeps its leadership in
// step with the image (metadataPipeline).
func (s *Server) startGroups() {
	s.groups = group.New(group.Config{
		NumPartitions:             s.cfg.OffsetsTopicNumPartitions,
		InitialRebalanceDelay:     time.Duration(s.cfg.GroupInitialRebalanceDelayMs) * time.Millisecond,
		MinSessionTimeout:         time.Duration(s.cfg.GroupMinSessionTimeoutMs) * time.Millisecond,
		MaxSessionTimeout:         time.Duration(s.cfg.GroupMaxSessionTimeoutMs) * time.Millisecond,
		OffsetsRetention:          time.Duration(s.cfg.OffsetsRetentionMs) * time.Millisecond,
		ConsumerSessionTimeout:    time.Duration(s.cfg.ConsumerGroups.SessionTimeoutMs) * time.Millisecond,
		ConsumerHeartbeatInterval: time.Duration(s.cfg.ConsumerGroups.HeartbeatIntervalMs) * time.Millisecond,
		ConsumerMaxSize:           int(s.cfg.ConsumerGroups.MaxSize),
		ConsumerAssignors:         s.cfg.ConsumerGroups.Assignors,
		PartitionCount: func(topic string) int32 {
			if t, ok := s.ctrl.Image().Topic(topic); ok {
				return int32(len(t.Partitions))
			}
			return 0
		},
		Logger: s.logger.With("component", "groups"),
	}, topiclog.Offsets(s.parts))
}
