package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupView is what --describe shows of a group, from either group protocol:
// a classic group (DescribeGroups) or a KIP-848 consumer group
// (ConsumerGroupDescribe).
type groupView struct {
	name, state, strategy   string
	coordinator             kadm.BrokerDetail
	members                 []memberView
	groupEpoch, targetEpoch string // "-" for a classic group
}

// memberView is one member of a group.
type memberView struct {
	id, instance, host, clientID string
	assigned, target             kadm.TopicsSet
	epoch                        string
}

// errGroupNotFound marks a group that does not exist.
var errGroupNotFound = errors.New("cli: consumer group does not exist")

// describeGroupViews describes groups as Kafka's admin client does: first
// with ConsumerGroupDescribe (KIP-848 groups), then with DescribeGroups for
// the groups that API does not know (classic groups) or for all of them when
// the broker lacks it. A group that exists in neither is absent.
func (g *groupsRun) describeGroupViews(ctx context.Context, ids []string) (map[string]*groupView, error) {
	views := g.describeNextGen(ctx, ids)
	var classic []string
	for _, id := range ids {
		if views[id] == nil {
			classic = append(classic, id)
		}
	}
	if len(classic) == 0 {
		return views, nil
	}
	described, err := g.adm.DescribeGroups(ctx, classic...)
	if err != nil {
		return nil, g.cc.timeoutError("describe groups", err)
	}
	for _, id := range classic {
		d, ok := described[id]
		switch {
		case !ok || errors.Is(d.Err, kerr.GroupIDNotFound) || (d.Err == nil && d.State == "Dead"):
		case d.Err != nil:
			return nil, fmt.Errorf("describe group %s: %w", id, adminError(d.Err, d.ErrMessage))
		default:
			views[id] = classicView(d)
		}
	}
	return views, nil
}

func classicView(d kadm.DescribedGroup) *groupView {
	v := &groupView{name: d.Group, state: d.State, strategy: d.Protocol, coordinator: d.Coordinator,
		groupEpoch: missingColumn, targetEpoch: missingColumn}
	for _, m := range d.Members {
		mv := memberView{id: m.MemberID, instance: deref(m.InstanceID), host: m.ClientHost,
			clientID: m.ClientID, assigned: kadm.TopicsSet{}, epoch: missingColumn}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				mv.assigned.Add(t.Topic, t.Partitions...)
			}
		}
		v.members = append(v.members, mv)
	}
	return v
}

// describeNextGen describes KIP-848 groups with ConsumerGroupDescribe. It
// returns the groups found; a broker without the API finds none. Topics
// named only by ID in an assignment are named from the cluster's metadata.
func (g *groupsRun) describeNextGen(ctx context.Context, ids []string) map[string]*groupView {
	views := map[string]*groupView{}
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = ids
	var names map[kadm.TopicID]string
	topicName := func(tp kmsg.AssignmentTopicPartition) string {
		if tp.Topic != "" {
			return tp.Topic
		}
		if names == nil {
			names = map[kadm.TopicID]string{}
			if md, err := g.adm.Metadata(ctx); err == nil {
				for _, td := range md.Topics {
					names[td.ID] = td.Topic
				}
			}
		}
		return names[tp.TopicID]
	}
	toSet := func(a kmsg.Assignment) kadm.TopicsSet {
		s := kadm.TopicsSet{}
		for _, tp := range a.TopicPartitions {
			s.Add(topicName(tp), tp.Partitions...)
		}
		return s
	}
	for _, shard := range g.cl.RequestSharded(ctx, req) {
		resp, ok := shard.Resp.(*kmsg.ConsumerGroupDescribeResponse)
		if shard.Err != nil || !ok {
			continue
		}
		for _, rg := range resp.Groups {
			if rg.ErrorCode != 0 || rg.State == "Dead" {
				continue
			}
			v := &groupView{name: rg.Group, state: rg.State, strategy: rg.AssignorName, coordinator: shard.Meta,
				groupEpoch: strconv.Itoa(int(rg.Epoch)), targetEpoch: strconv.Itoa(int(rg.AssignmentEpoch))}
			for _, m := range rg.Members {
				v.members = append(v.members, memberView{id: m.MemberID, instance: deref(m.InstanceID), host: m.ClientHost,
					clientID: m.ClientID, assigned: toSet(m.Assignment), target: toSet(m.TargetAssignment),
					epoch: strconv.Itoa(int(m.MemberEpoch))})
			}
			views[rg.Group] = v
		}
	}
	return views
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// describeGroups prints the offsets (default), members or state table of
// each group in name order, with Kafka's notes on stderr for an empty or
// rebalancing group. A group that does not exist is reported at the end.
func (g *groupsRun) describeGroups(ctx context.Context) error {
	ids, err := g.groupIDs(ctx)
	if err != nil {
		return err
	}
	sort.Strings(ids)
	views, err := g.describeGroupViews(ctx, ids)
	if err != nil {
		return err
	}
	var missing []error
	for _, id := range ids {
		v, ok := views[id]
		if !ok {
			missing = append(missing, &groupNotFoundError{group: id})
			continue
		}
		g.noteState(v)
		if err := g.describeOne(ctx, v); err != nil {
			return err
		}
	}
	return errors.Join(missing...)
}

// noteState prints Kafka's remark about an empty or rebalancing group.
func (g *groupsRun) noteState(v *groupView) {
	switch v.state {
	case "Empty":
		fmt.Fprintf(g.errOut, "\nConsumer group '%s' has no active members.\n", v.name)
	case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
		fmt.Fprintf(g.errOut, "\nWarning: Consumer group '%s' is rebalancing.\n", v.name)
	}
}

func (g *groupsRun) describeOne(ctx context.Context, v *groupView) error {
	switch {
	case g.o.members:
		fmt.Fprint(g.out, formatMembers(memberRows(v), g.o.verbose))
	case g.o.set["state"]:
		fmt.Fprint(g.out, formatState(stateRowOf(v), g.o.verbose))
	default:
		rows, err := g.offsetRows(ctx, v)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			fmt.Fprint(g.out, formatOffsets(rows))
		}
	}
	return nil
}

func memberRows(v *groupView) []memberRow {
	rows := make([]memberRow, 0, len(v.members))
	for _, m := range v.members {
		n := 0
		m.assigned.Each(func(string, int32) { n++ })
		target := missingColumn
		if m.target != nil {
			target = assignmentString(m.target)
		}
		rows = append(rows, memberRow{group: v.name, consumerID: m.id, instanceID: m.instance, host: m.host,
			clientID: m.clientID, partitions: n, currentEpoch: m.epoch, assignment: assignmentString(m.assigned),
			targetEpoch: v.targetEpoch, targetAssignment: target})
	}
	return rows
}

func stateRowOf(v *groupView) stateRow {
	strategy := v.strategy
	if strategy == "" {
		strategy = missingColumn
	}
	coord := fmt.Sprintf("%s:%d  (%d)", v.coordinator.Host, v.coordinator.Port, v.coordinator.NodeID)
	return stateRow{group: v.name, coordinator: coord, strategy: strategy, state: v.state,
		groupEpoch: v.groupEpoch, targetEpoch: v.targetEpoch, members: len(v.members)}
}

// groupNotFoundError is Kafka's message for a group that does not exist.
type groupNotFoundError struct{ group string }

func (e *groupNotFoundError) Error() string {
	return fmt.Sprintf("Consumer group '%s' does not exist.", e.group)
}

func (e *groupNotFoundError) Is(target error) bool { return target == errGroupNotFound }
