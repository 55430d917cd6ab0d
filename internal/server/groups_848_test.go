package server

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// describe848 returns "member:partitions" assignments of a KIP-848 group
// once it is Stable, or "" while it is not.
func describe848(t *testing.T, cl *kgo.Client, group string) (state string, parts map[string][]int32) {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].ErrorCode != 0 {
		return "", nil
	}
	g := resp.Groups[0]
	parts = make(map[string][]int32)
	for _, m := range g.Members {
		for _, tp := range m.Assignment.TopicPartitions {
			parts[m.MemberID] = append(parts[m.MemberID], tp.Partitions...)
		}
	}
	return g.State, parts
}

// balanced reports whether parts are disjoint, cover 0..n-1 and are spread
// evenly over members.
func balanced(parts map[string][]int32, members, n int) bool {
	if len(parts) != members {
		return false
	}
	var all []int
	for _, ps := range parts {
		if len(ps) < n/members || len(ps) > (n+members-1)/members {
			return false
		}
		for _, p := range ps {
			all = append(all, int(p))
		}
	}
	sort.Ints(all)
	if len(all) != n {
		return false
	}
	for i, p := range all {
		if p != i {
			return false
		}
	}
	return true
}

func TestNextGenConsumerGroup(t *testing.T) {
	s := startTestServer(t, t.TempDir(), groupTestConfig...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	const n = 6000
	produceN(t, addr, "kip848", 6, n)
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ty := &tally{seen: make(map[[2]int64]int)}
	var cs []*groupConsumer
	for i := 0; i < 3; i++ {
		cs = append(cs, startGroupConsumer(t, addr, "ng", "kip848", ty, kgo.ServerSideBalancer(),
			kgo.Balancers(kgo.CooperativeStickyBalancer()), kgo.FetchMaxPartitionBytes(2<<10)))
	}
	var last map[string][]int32
	waitUntil(t, 60*time.Second, "3 members with disjoint, complete assignments", func() bool {
		state, parts := describe848(t, admin, "ng")
		last = parts
		return state == "Stable" && balanced(parts, 3, 6)
	})
	t.Logf("3 members: %v", last)
	cs[0].leave()
	waitUntil(t, 60*time.Second, "2 members sharing all partitions", func() bool {
		state, parts := describe848(t, admin, "ng")
		last = parts
		return state == "Stable" && balanced(parts, 2, 6)
	})
	t.Logf("2 members: %v", last)
	waitUntil(t, 60*time.Second, fmt.Sprintf("all %d records", n), func() bool { return ty.unique() == n })
	for _, c := range cs[1:] {
		c.leave()
	}
	if ty.dupes != 0 {
		t.Errorf("%d records delivered more than once", ty.dupes)
	}
}
