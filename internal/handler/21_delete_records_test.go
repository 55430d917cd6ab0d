package handler

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/storage"
)

// fakeDeleter is a hosted partition with a high watermark of hw.
type fakeDeleter struct {
	hw    int64
	calls []int64
}

func (d *fakeDeleter) DeleteRecordsBefore(offset int64) (int64, error) {
	d.calls = append(d.calls, offset)
	if offset == -1 {
		offset = d.hw
	}
	if offset < 0 || offset > d.hw {
		return 0, fmt.Errorf("%w: %d is beyond the high watermark %d", storage.ErrOffsetOutOfRange, offset, d.hw)
	}
	return offset, nil
}

func deleteRecordsReq(topic string, offsets map[int32]int64) *kmsg.DeleteRecordsRequest {
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.Version = 2
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	for p := int32(0); p < 8; p++ {
		if off, ok := offsets[p]; ok {
			rt.Partitions = append(rt.Partitions, kmsg.DeleteRecordsRequestTopicPartition{Partition: p, Offset: off})
		}
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestDeleteRecords(t *testing.T) {
	tests := []struct {
		name   string
		topic  string
		part   int32
		offset int64
		hosted bool
		code   int16
		low    int64
	}{
		{"happy", "orders", 0, 10, true, 0, 10},
		{"high watermark", "orders", 2, -1, true, 0, 100},
		{"beyond high watermark", "orders", 0, 101, true, 1, -1},
		{"negative offset", "orders", 0, -2, true, 1, -1},
		{"unknown topic", "nope", 0, 1, true, 3, -1},
		{"unknown partition", "orders", 7, 1, true, 3, -1},
		{"other leader", "orders", 1, 1, true, 6, -1},
		{"not hosted", "orders", 0, 1, false, 6, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newAdminHandler()
			d := &fakeDeleter{hw: 100}
			lookup := func(topic string, p int32) recordDeleter {
				if !tt.hosted || topic != tt.topic || p != tt.part {
					return nil
				}
				return d
			}
			req := deleteRecordsReq(tt.topic, map[int32]int64{tt.part: tt.offset})
			resp := h.deleteRecordsFrom(req, lookup).(*kmsg.DeleteRecordsResponse)
			if len(resp.Topics) != 1 || resp.Topics[0].Topic != tt.topic || len(resp.Topics[0].Partitions) != 1 {
				t.Fatalf("response shape: %+v", resp.Topics)
			}
			rp := resp.Topics[0].Partitions[0]
			if rp.Partition != tt.part || rp.ErrorCode != tt.code || rp.LowWatermark != tt.low {
				t.Fatalf("got partition %d code %d low %d, want %d %d %d", rp.Partition, rp.ErrorCode, rp.LowWatermark, tt.part, tt.code, tt.low)
			}
			if tt.code == 0 && (len(d.calls) != 1 || d.calls[0] != tt.offset) {
				t.Errorf("partition got offsets %v, want [%d]", d.calls, tt.offset)
			}
		})
	}
}

func TestDeleteRecordsWithoutPartitionManager(t *testing.T) {
	h, _ := newAdminHandler()
	resp := h.deleteRecords(context.Background(), deleteRecordsReq("orders", map[int32]int64{0: 1, 1: 1})).(*kmsg.DeleteRecordsResponse)
	for _, rp := range resp.Topics[0].Partitions {
		if rp.ErrorCode != 6 || rp.LowWatermark != -1 {
			t.Errorf("partition %d: code %d low %d, want NOT_LEADER_OR_FOLLOWER (6) and -1", rp.Partition, rp.ErrorCode, rp.LowWatermark)
		}
	}
}

// TestDeleteRecordsHostedPartitions goes through a real partition.Manager
// hosting "orders" (replicas 1 and 2; nothing written, so the high
// watermark is 0).
func TestDeleteRecordsHostedPartitions(t *testing.T) {
	h, _ := newAdminHandler()
	h.Config.LogDirs = []string{t.TempDir()}
	m := partition.NewManager(h.Config, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = m.Close() })
	if err := m.ApplyImage(h.Image()); err != nil {
		t.Fatalf("apply image: %v", err)
	}
	h.Partitions = m
	req := deleteRecordsReq("orders", map[int32]int64{0: 0, 1: 0, 2: 1})
	req.Topics = append(req.Topics, deleteRecordsReq("logs", map[int32]int64{0: 0}).Topics...)
	resp := h.deleteRecords(context.Background(), req).(*kmsg.DeleteRecordsResponse)
	want := map[string]map[int32]int16{"orders": {0: 0, 1: 6, 2: 1}, "logs": {0: 6}}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if code := want[rt.Topic][rp.Partition]; rp.ErrorCode != code {
				t.Errorf("%s-%d: code %d, want %d", rt.Topic, rp.Partition, rp.ErrorCode, code)
			}
			if rp.ErrorCode == 0 && rp.LowWatermark != 0 {
				t.Errorf("%s-%d: low watermark %d, want 0", rt.Topic, rp.Partition, rp.LowWatermark)
			}
		}
	}
}
