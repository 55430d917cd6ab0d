package handler

// DescribeLogDirs, versions 0–4.
//
// Kafka: lists the broker's log directories and, in each, the replicas of
// the requested partitions (null topics: every partition) with their size
// in bytes, their offset lag (how far a future replica being moved between
// directories is behind; 0 otherwise) and whether they are future replicas.
// v3 adds a top-level error code, v4 each directory's total and usable
// bytes. A directory that went offline answers KAFKA_STORAGE_ERROR.
//
// Samsa: the same for every directory in log.dirs. Samsa never moves
// replicas between directories, so OffsetLag is 0 and IsFuture false. A
// directory Samsa cannot stat reports -1 for its byte counts.

import (
	"context"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/partition"
)

var describeLogDirsAPI = api{key: kmsg.DescribeLogDirs, min: 0, max: 4, serve: (*Handler).describeLogDirs,
	authz: authzFromTable}

func (h *Handler) describeLogDirs(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	want := requestedPartitions(req)
	byDir := make(map[string]map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition)
	if h.Partitions != nil {
		for _, p := range h.Partitions.Partitions() {
			if want != nil && !want[partition.TopicPartition{Topic: p.Topic, Partition: p.Index}] {
				continue
			}
			dir := filepath.Dir(p.Dir())
			if byDir[dir] == nil {
				byDir[dir] = make(map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition)
			}
			rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			rp.Partition, rp.Size = p.Index, p.Size()
			byDir[dir][p.Topic] = append(byDir[dir][p.Topic], rp)
		}
	}
	for _, dir := range h.Config.LogDirs {
		d := kmsg.NewDescribeLogDirsResponseDir()
		d.Dir = dir
		d.Topics = sortedDirTopics(byDir[filepath.Clean(dir)])
		if req.Version >= 4 {
			d.TotalBytes, d.UsableBytes = diskSpace(dir)
		}
		resp.Dirs = append(resp.Dirs, d)
	}
	return resp
}

// requestedPartitions is the set a request names, or nil for all.
func requestedPartitions(req *kmsg.DescribeLogDirsRequest) map[partition.TopicPartition]bool {
	if req.Topics == nil {
		return nil
	}
	want := make(map[partition.TopicPartition]bool)
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			want[partition.TopicPartition{Topic: t.Topic, Partition: p}] = true
		}
	}
	return want
}

func sortedDirTopics(topics map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition) []kmsg.DescribeLogDirsResponseDirTopic {
	out := make([]kmsg.DescribeLogDirsResponseDirTopic, 0, len(topics))
	for name, parts := range topics {
		slices.SortFunc(parts, func(a, b kmsg.DescribeLogDirsResponseDirTopicPartition) int {
			return int(a.Partition - b.Partition)
		})
		t := kmsg.NewDescribeLogDirsResponseDirTopic()
		t.Topic, t.Partitions = name, parts
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b kmsg.DescribeLogDirsResponseDirTopic) int {
		switch {
		case a.Topic < b.Topic:
			return -1
		case a.Topic > b.Topic:
			return 1
		}
		return 0
	})
	return out
}

// diskSpace returns the total and available bytes of the file system
// holding dir, or -1, -1.
func diskSpace(dir string) (total, usable int64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1, -1
	}
	return int64(st.Blocks) * int64(st.Bsize), int64(st.Bavail) * int64(st.Bsize)
}
