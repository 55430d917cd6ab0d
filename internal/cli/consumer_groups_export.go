package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// resetPlanFile is a --from-file reset plan: new offsets by group.
type resetPlanFile map[string]kadm.Offsets

// loadResetPlan reads the CSV --reset-offsets --export writes:
// "topic,partition,offset" lines when the command names one --group, else
// "group,topic,partition,offset" lines (as Kafka's tool reads them, the
// three-column form is taken only with a single --group).
func loadResetPlan(path string, groups []string) (resetPlanFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read reset plan: %w", err)
	}
	plan := resetPlanFile{}
	single := len(groups) == 1
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		group := ""
		switch {
		case len(f) == 3 && single:
			group = groups[0]
		case len(f) == 4:
			group, f = f[0], f[1:]
		default:
			return nil, usageErrorf("reset plan %s line %d %q: want topic,partition,offset (with one --group) or group,topic,partition,offset", path, i+1, line)
		}
		p, perr := strconv.ParseInt(f[1], 10, 32)
		off, oerr := strconv.ParseInt(f[2], 10, 64)
		if perr != nil || oerr != nil || f[0] == "" {
			return nil, usageErrorf("reset plan %s line %d %q: partition and offset must be numbers", path, i+1, line)
		}
		offsets := plan[group]
		if offsets == nil {
			offsets = kadm.Offsets{}
			plan[group] = offsets
		}
		offsets.Add(kadm.Offset{Topic: f[0], Partition: int32(p), At: off, LeaderEpoch: -1})
	}
	return plan, nil
}

// planFromFile is the --from-file plan of group, each offset kept within
// its partition's log (with Kafka's warning), or nothing with Kafka's
// error line when the file has no plan for it.
func (g *groupsRun) planFromFile(ctx context.Context, group string) (kadm.Offsets, error) {
	if g.resetPlan == nil {
		plan, err := loadResetPlan(g.o.fromFile, g.o.groups)
		if err != nil {
			return nil, err
		}
		g.resetPlan = plan
	}
	wanted, ok := g.resetPlan[group]
	if !ok {
		fmt.Fprintf(g.out, "\nError: No reset plan for group %s found.\n", group)
		return kadm.Offsets{}, nil
	}
	scope := wanted.TopicsSet()
	starts, err := g.listOffsets(ctx, scope, g.adm.ListStartOffsets)
	if err != nil {
		return nil, err
	}
	ends, err := g.listOffsets(ctx, scope, g.adm.ListEndOffsets)
	if err != nil {
		return nil, err
	}
	plan := kadm.Offsets{}
	wanted.Each(func(o kadm.Offset) {
		plan.Add(kadm.Offset{Topic: o.Topic, Partition: o.Partition, At: g.clamp(o.Topic, o.Partition, o.At, starts, ends), LeaderEpoch: -1})
	})
	return plan, nil
}

// exportResetPlan renders a reset plan as --export prints it: CSV lines
// without the group column when the command names one --group, with it
// otherwise, then an empty line (Kafka's println of the CSV).
func exportResetPlan(rows []resetRow, singleGroup bool) string {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.group != b.group {
			return a.group < b.group
		}
		if a.topic != b.topic {
			return a.topic < b.topic
		}
		return a.partition < b.partition
	})
	var b strings.Builder
	for _, r := range rows {
		if !singleGroup {
			b.WriteString(r.group + ",")
		}
		fmt.Fprintf(&b, "%s,%d,%d\n", r.topic, r.partition, r.offset)
	}
	b.WriteString("\n")
	return b.String()
}
