package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupTypes are the --type values, as Kafka's GroupType prints them.
var groupTypes = []string{"Classic", "Consumer", "Share", "Streams"}

// typedGroup is one consumer group of a ListGroups v5+ answer with its type.
type typedGroup struct {
	group, state, typ string
}

// listTypedGroups is --list with --type: Kafka's table of GROUP, TYPE and,
// with --state, STATE, of the consumer groups (either protocol, or only
// committing offsets) whose type and state pass the filters. The broker
// names a group's type from ListGroups v5 on; an older one leaves it
// "Unknown". The filters are applied here so that a broker that ignores
// ListGroups' TypesFilter still gives the right list.
func (g *groupsRun) listTypedGroups(ctx context.Context) error {
	states, err := parseGroupStates(g.o.state)
	if err != nil {
		return err
	}
	types, err := parseChoices(g.o.groupType, "type", groupTypes)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrListGroupsRequest()
	req.StatesFilter = states
	var groups []typedGroup
	for _, shard := range g.cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return g.cc.timeoutError("list groups", shard.Err)
		}
		resp := shard.Resp.(*kmsg.ListGroupsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("list groups: %w", err)
		}
		for _, lg := range resp.Groups {
			if lg.ProtocolType != "consumer" && lg.ProtocolType != "" {
				continue
			}
			typ := "Unknown"
			for _, t := range groupTypes {
				if strings.EqualFold(t, lg.GroupType) {
					typ = t
				}
			}
			if len(types) > 0 && !containsString(types, typ) {
				continue
			}
			groups = append(groups, typedGroup{group: lg.Group, state: lg.GroupState, typ: typ})
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].group < groups[j].group })
	fmt.Fprint(g.out, formatTypedGroups(groups, g.o.state != ""))
	return nil
}

// formatTypedGroups renders Kafka's --list --type table: the GROUP column
// 10 wider than the longest name (at least 15), then TYPE and STATE.
func formatTypedGroups(groups []typedGroup, withState bool) string {
	gw := 15
	for _, tg := range groups {
		gw = widthOf(gw, tg.group)
	}
	gw += 10
	var b strings.Builder
	row := func(group, typ, state string) {
		fmt.Fprintf(&b, "%-*s %-20s", gw, group, typ)
		if withState {
			fmt.Fprintf(&b, " %-20s", state)
		}
		b.WriteString("\n")
	}
	row("GROUP", "TYPE", "STATE")
	for _, tg := range groups {
		row(tg.group, tg.typ, tg.state)
	}
	return b.String()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
