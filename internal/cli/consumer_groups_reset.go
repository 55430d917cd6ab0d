package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// resetOffsets plans new committed offsets for each inactive group (Empty,
// or not existing yet), prints the plan and, with --execute, commits it. An
// active group is refused with Kafka's message; the others still proceed.
func (g *groupsRun) resetOffsets(ctx context.Context) error {
	ids, err := g.groupIDs(ctx)
	if err != nil {
		return err
	}
	views, err := g.describeGroupViews(ctx, ids)
	if err != nil {
		return err
	}
	var refused []error
	var planned []string
	var rows []resetRow
	for _, id := range ids {
		if v, ok := views[id]; ok && v.state != "Empty" && v.state != "Dead" {
			refused = append(refused, fmt.Errorf("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", id, v.state))
			continue
		}
		plan, err := g.planReset(ctx, id)
		if err != nil {
			return err
		}
		if g.o.execute {
			if err := g.commitPlan(ctx, id, plan); err != nil {
				return err
			}
		}
		planned = append(planned, id)
		plan.Each(func(o kadm.Offset) {
			rows = append(rows, resetRow{group: id, topic: o.Topic, partition: o.Partition, offset: o.At})
		})
	}
	switch {
	case g.o.export:
		fmt.Fprint(g.out, exportResetPlan(rows, len(g.o.groups) == 1 && !g.o.allGroups))
	case len(planned) > 0:
		fmt.Fprint(g.out, formatResetPlan(planned, rows))
	}
	return errors.Join(refused...)
}

func (g *groupsRun) commitPlan(ctx context.Context, group string, plan kadm.Offsets) error {
	resp, err := g.adm.CommitOffsets(ctx, group, plan)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return g.cc.timeoutError("commit offsets of group "+group, adminError(err, ""))
	}
	return nil
}

// planReset computes the new offset of every partition in scope.
func (g *groupsRun) planReset(ctx context.Context, group string) (kadm.Offsets, error) {
	if g.o.set["from-file"] {
		return g.planFromFile(ctx, group)
	}
	committed, err := g.committedOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	scope := committed.TopicsSet()
	if !g.o.allTopics {
		var missing []deleteOffsetRow
		if scope, missing, err = g.resolvePartitions(ctx, g.o.topics); err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, missingPartitionsError(missing)
		}
	}
	o := g.o
	switch {
	case o.set["to-earliest"]:
		return g.offsetsAt(ctx, scope, g.adm.ListStartOffsets, "starting")
	case o.set["to-latest"]:
		return g.offsetsAt(ctx, scope, g.adm.ListEndOffsets, "ending")
	case o.set["to-datetime"]:
		ms, err := parseResetDatetime(o.toDatetime)
		if err != nil {
			return nil, err
		}
		return g.offsetsAt(ctx, scope, g.afterMilli(ms), "timestamp")
	case o.set["by-duration"]:
		d, err := parseISODuration(o.byDuration)
		if err != nil {
			return nil, err
		}
		return g.offsetsAt(ctx, scope, g.afterMilli(time.Now().Add(-d).UnixMilli()), "timestamp")
	case o.set["to-current"]:
		return g.toCurrent(ctx, scope, committed)
	}
	return g.shifted(ctx, scope, committed)
}

// afterMilli lists, per partition, the first offset at or after ms (the end
// offset when no record is that recent).
func (g *groupsRun) afterMilli(ms int64) func(context.Context, ...string) (kadm.ListedOffsets, error) {
	return func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
		return g.adm.ListOffsetsAfterMilli(ctx, ms, topics...)
	}
}

// offsetsAt sets each partition to the listed offset; what names the kind of
// offset in the error for a partition the broker did not answer for.
func (g *groupsRun) offsetsAt(ctx context.Context, scope kadm.TopicsSet, list func(context.Context, ...string) (kadm.ListedOffsets, error), what string) (kadm.Offsets, error) {
	listed, err := g.listOffsets(ctx, scope, list)
	if err != nil {
		return nil, err
	}
	plan := kadm.Offsets{}
	var errs []error
	scope.Each(func(t string, p int32) {
		off, ok := listed[t][p]
		if !ok {
			errs = append(errs, fmt.Errorf("error getting %s offset of topic partition: %s-%d", what, t, p))
			return
		}
		plan.Add(kadm.Offset{Topic: t, Partition: p, At: off, LeaderEpoch: -1})
	})
	return plan, errors.Join(errs...)
}

// toCurrent keeps committed offsets and sets uncommitted partitions to the
// end of the log, as Kafka does.
func (g *groupsRun) toCurrent(ctx context.Context, scope kadm.TopicsSet, committed kadm.Offsets) (kadm.Offsets, error) {
	rest := kadm.TopicsSet{}
	plan := kadm.Offsets{}
	scope.Each(func(t string, p int32) {
		if c, ok := committed.Lookup(t, p); ok {
			plan.Add(kadm.Offset{Topic: t, Partition: p, At: c.At, LeaderEpoch: -1})
		} else {
			rest.Add(t, p)
		}
	})
	ends, err := g.offsetsAt(ctx, rest, g.adm.ListEndOffsets, "ending")
	ends.Each(plan.Add)
	return plan, err
}

// shifted handles --to-offset and --shift-by: the wanted offset, kept within
// the log's start and end with a warning.
func (g *groupsRun) shifted(ctx context.Context, scope kadm.TopicsSet, committed kadm.Offsets) (kadm.Offsets, error) {
	starts, err := g.listOffsets(ctx, scope, g.adm.ListStartOffsets)
	if err != nil {
		return nil, err
	}
	ends, err := g.listOffsets(ctx, scope, g.adm.ListEndOffsets)
	if err != nil {
		return nil, err
	}
	plan := kadm.Offsets{}
	var errs []error
	scope.Each(func(t string, p int32) {
		want := g.o.toOffset
		if g.o.set["shift-by"] {
			c, ok := committed.Lookup(t, p)
			if !ok {
				errs = append(errs, fmt.Errorf("cannot shift offset for partition %s-%d since there is no current committed offset", t, p))
				return
			}
			want = c.At + g.o.shiftBy
		}
		plan.Add(kadm.Offset{Topic: t, Partition: p, At: g.clamp(t, p, want, starts, ends), LeaderEpoch: -1})
	})
	return plan, errors.Join(errs...)
}

// clamp keeps off within [start, end] of the partition, warning when it moves.
func (g *groupsRun) clamp(t string, p int32, off int64, starts, ends map[string]map[int32]int64) int64 {
	if end, ok := ends[t][p]; ok && off > end {
		fmt.Fprintf(g.errOut, "WARN New offset (%d) is higher than latest offset for topic partition %s-%d. Value will be set to %d.\n", off, t, p, end)
		return end
	}
	if start, ok := starts[t][p]; ok && off < start {
		fmt.Fprintf(g.errOut, "WARN New offset (%d) is lower than earliest offset for topic partition %s-%d. Value will be set to %d.\n", off, t, p, start)
		return start
	}
	return off
}

// resolvePartitions expands --topic arguments, "t" (every partition) or
// "t:0,2" (those partitions), against the cluster's metadata. Unknown topics
// and partitions come back as rows carrying their error.
func (g *groupsRun) resolvePartitions(ctx context.Context, args []string) (kadm.TopicsSet, []deleteOffsetRow, error) {
	wanted := map[string][]int32{}
	for _, a := range args {
		topic, parts, hasParts := strings.Cut(a, ":")
		if topic == "" {
			return nil, nil, usageErrorf("invalid topic arg '%s', expected topic name and partitions", a)
		}
		if _, ok := wanted[topic]; !ok {
			wanted[topic] = nil
		}
		if !hasParts {
			continue
		}
		for _, s := range strings.Split(parts, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
			if err != nil || n < 0 {
				return nil, nil, usageErrorf("invalid partition '%s' specified in topic arg '%s'", s, a)
			}
			wanted[topic] = append(wanted[topic], int32(n))
		}
	}
	details, err := g.adm.ListTopics(ctx, sortedTopics(wanted)...)
	if err != nil {
		return nil, nil, g.cc.timeoutError("describe topics", err)
	}
	scope := kadm.TopicsSet{}
	var missing []deleteOffsetRow
	for _, t := range sortedTopics(wanted) {
		d, ok := details[t]
		if !ok || d.Err != nil {
			missing = append(missing, deleteOffsetRow{topic: t, partition: -1, err: kerr.UnknownTopicOrPartition})
			continue
		}
		if len(wanted[t]) == 0 {
			for p := range d.Partitions {
				scope.Add(t, p)
			}
		}
		for _, p := range wanted[t] {
			if _, ok := d.Partitions[p]; ok {
				scope.Add(t, p)
			} else {
				missing = append(missing, deleteOffsetRow{topic: t, partition: p, err: kerr.UnknownTopicOrPartition})
			}
		}
	}
	return scope, missing, nil
}

// missingPartitionsError names the topics and partitions that do not exist.
func missingPartitionsError(rows []deleteOffsetRow) error {
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.topic
		if r.partition >= 0 {
			names[i] = fmt.Sprintf("%s-%d", r.topic, r.partition)
		}
	}
	return fmt.Errorf("the partitions \"%s\" do not exist", strings.Join(names, ","))
}
