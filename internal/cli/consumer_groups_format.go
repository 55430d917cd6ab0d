package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The tables below reproduce kafka-consumer-groups.sh's output byte for byte:
// every variable-width column is as wide as its longest value with a minimum
// (15 for most), fixed columns keep Kafka's widths, and each table starts
// with an empty line.

// missingColumn is what Kafka prints for a value it does not have.
const missingColumn = "-"

// offsetRow is one line of "--describe --offsets", rendered.
type offsetRow struct {
	group, topic, partition, current, logEnd, lag, consumerID, host, clientID string
}

// memberRow is one line of "--describe --members".
type memberRow struct {
	group, consumerID, instanceID, host, clientID string
	partitions                                    int
	currentEpoch, assignment                      string
	targetEpoch, targetAssignment                 string
}

// stateRow is the line of "--describe --state".
type stateRow struct {
	group, coordinator, strategy, state string
	groupEpoch, targetEpoch             string
	members                             int
}

// resetRow is one line of the --reset-offsets plan.
type resetRow struct {
	group, topic string
	partition    int32
	offset       int64
}

// widthOf returns the widest of min and the strings' lengths.
func widthOf(min int, values ...string) int {
	for _, v := range values {
		min = max(min, len(v))
	}
	return min
}

// formatOffsets renders the default --describe table of one group.
func formatOffsets(rows []offsetRow) string {
	gw, tw, cw, hw := 15, 15, 15, 15
	for _, r := range rows {
		gw, tw = widthOf(gw, r.group), widthOf(tw, r.topic)
		cw, hw = widthOf(cw, r.consumerID), widthOf(hw, r.host)
	}
	line := func(v ...string) string {
		return fmt.Sprintf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s",
			gw, v[0], tw, v[1], v[2], v[3], v[4], v[5], cw, v[6], hw, v[7], v[8])
	}
	var b strings.Builder
	b.WriteString(line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"))
	for _, r := range rows {
		b.WriteString(line(r.group, r.topic, r.partition, r.current, r.logEnd, r.lag, r.consumerID, r.host, r.clientID))
	}
	b.WriteString("\n")
	return b.String()
}

// formatMembers renders --describe --members [--verbose] of one group. The
// GROUP-INSTANCE-ID column appears only when some member is static.
func formatMembers(rows []memberRow, verbose bool) string {
	gw, cw, iw, hw, lw, aw, tw := 15, 15, 17, 15, 15, 20, 20
	withInstance := false
	for _, r := range rows {
		gw, cw, iw = widthOf(gw, r.group), widthOf(cw, r.consumerID), widthOf(iw, r.instanceID)
		hw, lw = widthOf(hw, r.host), widthOf(lw, r.clientID)
		aw, tw = widthOf(aw, r.assignment), widthOf(tw, r.targetAssignment)
		withInstance = withInstance || r.instanceID != ""
	}
	head := func(group, id, instance, host, client, parts string) string {
		if withInstance {
			return fmt.Sprintf("%-*s %-*s %-*s %-*s %-*s %-15s ", gw, group, cw, id, iw, instance, hw, host, lw, client, parts)
		}
		return fmt.Sprintf("%-*s %-*s %-*s %-*s %-15s ", gw, group, cw, id, hw, host, lw, client, parts)
	}
	tail := func(epoch, assigned, targetEpoch, target string) string {
		if !verbose {
			return ""
		}
		return fmt.Sprintf("%-15s %-*s %-15s %-*s", epoch, aw, assigned, targetEpoch, tw, target)
	}
	var b strings.Builder
	b.WriteString("\n" + head("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"))
	b.WriteString(tail("CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT") + "\n")
	for _, r := range rows {
		b.WriteString(head(r.group, r.consumerID, r.instanceID, r.host, r.clientID, strconv.Itoa(r.partitions)))
		b.WriteString(tail(r.currentEpoch, r.assignment, r.targetEpoch, r.targetAssignment) + "\n")
	}
	return b.String()
}

// formatState renders --describe --state [--verbose] of one group.
func formatState(r stateRow, verbose bool) string {
	gw, cw := widthOf(15, r.group), widthOf(25, r.coordinator)
	line := func(group, coord, strategy, state, epoch, target, members string) string {
		if verbose {
			return fmt.Sprintf("\n%-*s %-*s %-20s %-20s %-15s %-25s %s", gw, group, cw, coord, strategy, state, epoch, target, members)
		}
		return fmt.Sprintf("\n%-*s %-*s %-20s %-20s %s", gw, group, cw, coord, strategy, state, members)
	}
	return line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH", "#MEMBERS") +
		line(r.group, r.coordinator, r.strategy, r.state, r.groupEpoch, r.targetEpoch, strconv.Itoa(r.members)) + "\n"
}

// formatResetPlan renders the GROUP TOPIC PARTITION NEW-OFFSET table; groups
// are every group the plan was made for (the header is printed for any).
func formatResetPlan(groups []string, rows []resetRow) string {
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
	gw, tw := widthOf(15, groups...), 15
	for _, r := range rows {
		tw = widthOf(tw, r.topic)
	}
	var b strings.Builder
	if len(groups) > 0 {
		fmt.Fprintf(&b, "\n%-*s %-*s %-10s %s", gw, "GROUP", tw, "TOPIC", "PARTITION", "NEW-OFFSET")
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "\n%-*s %-*s %-10d %d", gw, r.group, tw, r.topic, r.partition, r.offset)
	}
	b.WriteString("\n")
	return b.String()
}

// deleteOffsetRow is one line of the --delete-offsets result.
type deleteOffsetRow struct {
	topic     string
	partition int32 // -1: the whole topic failed
	err       error
}

// formatDeleteOffsets renders the TOPIC PARTITION STATUS table.
func formatDeleteOffsets(rows []deleteOffsetRow) string {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].topic != rows[j].topic {
			return rows[i].topic < rows[j].topic
		}
		return rows[i].partition < rows[j].partition
	})
	tw := 15
	for _, r := range rows {
		tw = widthOf(tw, r.topic)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-*s %-10s %-15s", tw, "TOPIC", "PARTITION", "STATUS")
	for _, r := range rows {
		p, status := missingColumn, "Successful"
		if r.partition >= 0 {
			p = strconv.Itoa(int(r.partition))
		}
		if r.err != nil {
			status = "Error: " + r.err.Error()
		}
		fmt.Fprintf(&b, "\n%-*s %-10s %-15s", tw, r.topic, p, status)
	}
	b.WriteString("\n")
	return b.String()
}

// formatGroupList renders "--list --state": GROUP and STATE columns.
func formatGroupList(groups []kadm.ListedGroup) string {
	gw := 15
	for _, g := range groups {
		gw = widthOf(gw, g.Group)
	}
	gw += 10
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %-20s\n", gw, "GROUP", "STATE")
	for _, g := range groups {
		fmt.Fprintf(&b, "%-*s %-20s\n", gw, g.Group, g.State)
	}
	return b.String()
}

// assignmentString renders partitions as Kafka does: "t1:0,1;t2:3", topics
// and partitions in order.
func assignmentString(tps kadm.TopicsSet) string {
	var parts []string
	for _, tp := range tps.Sorted() {
		if len(tp.Partitions) == 0 {
			continue
		}
		nums := make([]string, len(tp.Partitions))
		for i, p := range tp.Partitions {
			nums[i] = strconv.Itoa(int(p))
		}
		parts = append(parts, tp.Topic+":"+strings.Join(nums, ","))
	}
	if len(parts) == 0 {
		return missingColumn
	}
	return strings.Join(parts, ";")
}
