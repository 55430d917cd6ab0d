package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// committedOffsets returns a group's committed offsets, leaving out
// partitions without a commit (offset -1) and failed partitions.
func (g *groupsRun) committedOffsets(ctx context.Context, group string) (kadm.Offsets, error) {
	resp, err := g.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return kadm.Offsets{}, nil // a group that never committed
	}
	if err != nil {
		return nil, g.cc.timeoutError("fetch offsets of group "+group, err)
	}
	out := kadm.Offsets{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			out.Add(o.Offset)
		}
	})
	return out, nil
}

// listOffsets lists the start or end offsets of partitions, returning the
// ones the broker answered for without an error.
func (g *groupsRun) listOffsets(ctx context.Context, tps kadm.TopicsSet, list func(context.Context, ...string) (kadm.ListedOffsets, error)) (map[string]map[int32]int64, error) {
	out := map[string]map[int32]int64{}
	if len(tps) == 0 {
		return out, nil
	}
	listed, err := list(ctx, tps.Topics()...)
	if err != nil {
		return nil, g.cc.timeoutError("list offsets", err)
	}
	listed.Each(func(l kadm.ListedOffset) {
		if l.Err == nil && l.Offset >= 0 && tps.Lookup(l.Topic, l.Partition) {
			if out[l.Topic] == nil {
				out[l.Topic] = map[int32]int64{}
			}
			out[l.Topic][l.Partition] = l.Offset
		}
	})
	return out, nil
}

// offsetRows builds the --describe table of one group as Kafka does: the
// partitions of each member with an assignment (members with the most
// partitions first), then committed partitions no member owns.
func (g *groupsRun) offsetRows(ctx context.Context, v *groupView) ([]offsetRow, error) {
	committed, err := g.committedOffsets(ctx, v.name)
	if err != nil {
		return nil, err
	}
	all := committed.TopicsSet()
	members := make([]memberView, 0, len(v.members))
	for _, m := range v.members {
		if len(m.assigned.Sorted()) > 0 {
			all.Merge(m.assigned)
			members = append(members, m)
		}
	}
	sort.SliceStable(members, func(i, j int) bool {
		return countPartitions(members[i].assigned) > countPartitions(members[j].assigned)
	})
	ends, err := g.listOffsets(ctx, all, g.adm.ListEndOffsets)
	if err != nil {
		return nil, err
	}
	var rows []offsetRow
	owned := kadm.TopicsSet{}
	for _, m := range members {
		owned.Merge(m.assigned)
		rows = append(rows, partitionRows(v.name, m.assigned, committed, ends, m.id, m.host, m.clientID)...)
	}
	orphans := kadm.TopicsSet{}
	committed.Each(func(o kadm.Offset) {
		if !owned.Lookup(o.Topic, o.Partition) {
			orphans.Add(o.Topic, o.Partition)
		}
	})
	return append(rows, partitionRows(v.name, orphans, committed, ends, missingColumn, missingColumn, missingColumn)...), nil
}

// partitionRows renders one row per partition of tps, in topic and
// partition order.
func partitionRows(group string, tps kadm.TopicsSet, committed kadm.Offsets, ends map[string]map[int32]int64, id, host, client string) []offsetRow {
	var rows []offsetRow
	for _, tp := range tps.Sorted() {
		for _, p := range tp.Partitions {
			r := offsetRow{group: group, topic: tp.Topic, partition: strconv.Itoa(int(p)),
				current: missingColumn, logEnd: missingColumn, lag: missingColumn, consumerID: id, host: host, clientID: client}
			end, hasEnd := ends[tp.Topic][p]
			if hasEnd {
				r.logEnd = strconv.FormatInt(end, 10)
			}
			if c, ok := committed.Lookup(tp.Topic, p); ok {
				r.current = strconv.FormatInt(c.At, 10)
				if hasEnd {
					r.lag = strconv.FormatInt(end-c.At, 10)
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// errNoPartitionResponse is a partition the broker left out of its answer.
var errNoPartitionResponse = errors.New("cli: no response for this partition")

func countPartitions(s kadm.TopicsSet) int {
	n := 0
	s.Each(func(string, int32) { n++ })
	return n
}

// deleteGroupOffsets deletes the committed offsets of --group for each
// --topic (all its partitions, or topic:0,1 for some) and prints Kafka's
// per-partition status table.
func (g *groupsRun) deleteGroupOffsets(ctx context.Context) error {
	group := g.o.groups[0]
	if err := waitGroupCoordinators(ctx, g.cl, []string{group}); err != nil {
		return err
	}
	tps, rows, err := g.resolvePartitions(ctx, g.o.topics)
	if err != nil {
		return err
	}
	resp, err := g.adm.DeleteOffsets(ctx, group, tps)
	if err != nil {
		return g.cc.timeoutError("delete offsets of group "+group, adminError(err, ""))
	}
	failed := len(rows) > 0
	tps.Each(func(t string, p int32) {
		perr, ok := resp.Lookup(t, p)
		if !ok {
			perr = errNoPartitionResponse
		}
		failed = failed || perr != nil
		rows = append(rows, deleteOffsetRow{topic: t, partition: p, err: perr})
	})
	if failed {
		fmt.Fprintln(g.errOut, "Error: Encountered some partition-level error, see the follow-up details.")
	} else {
		fmt.Fprintf(g.out, "Request succeeded for deleting offsets from group %s.\n", group)
	}
	fmt.Fprint(g.out, formatDeleteOffsets(rows))
	if failed {
		return &reportedError{err: fmt.Errorf("delete offsets of group %s: some partitions failed", group)}
	}
	return nil
}
