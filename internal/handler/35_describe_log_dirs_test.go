package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeLogDirs(t *testing.T) {
	dp := newDataPath(t, dpTopic("a", 1, 2, nil), dpTopic("b", 2, 1, nil))
	p := dp.m.Partition("a", 1)
	if _, err := p.Append(plainBatch(t, 3, 1000)); err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrDescribeLogDirsRequest()
	req.Version = 4
	resp := dp.h.describeLogDirs(context.Background(), req).(*kmsg.DescribeLogDirsResponse)
	if len(resp.Dirs) != 1 || resp.Dirs[0].Dir != dp.h.Config.LogDirs[0] || resp.Dirs[0].ErrorCode != 0 {
		t.Fatalf("dirs %+v", resp.Dirs)
	}
	d := resp.Dirs[0]
	if d.TotalBytes <= 0 || d.UsableBytes < 0 || d.UsableBytes > d.TotalBytes {
		t.Errorf("total %d usable %d", d.TotalBytes, d.UsableBytes)
	}
	if len(d.Topics) != 2 || d.Topics[0].Topic != "a" || len(d.Topics[0].Partitions) != 2 {
		t.Fatalf("topics %+v", d.Topics)
	}
	if got := d.Topics[0].Partitions[1]; got.Partition != 1 || got.Size != p.Size() || got.Size == 0 {
		t.Errorf("a-1 %+v, want size %d", got, p.Size())
	}

	// Only the named partitions; unknown ones are left out.
	rt := kmsg.NewDescribeLogDirsRequestTopic()
	rt.Topic, rt.Partitions = "a", []int32{1, 7}
	req.Topics = []kmsg.DescribeLogDirsRequestTopic{rt}
	req.Version = 1
	resp = dp.h.describeLogDirs(context.Background(), req).(*kmsg.DescribeLogDirsResponse)
	if ts := resp.Dirs[0].Topics; len(ts) != 1 || len(ts[0].Partitions) != 1 || ts[0].Partitions[0].Partition != 1 {
		t.Errorf("filtered topics %+v", ts)
	}
	if resp.Dirs[0].TotalBytes != -1 {
		t.Errorf("v1 carries total bytes %d", resp.Dirs[0].TotalBytes)
	}
}
