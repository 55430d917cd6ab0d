package handler

// ListGroups, versions 0–5.
//
// Lists the groups this node coordinates. v4+ StatesFilter and v5+
// TypesFilter ("classic", "consumer" for KIP-848 groups, "share" for
// KIP-932 share groups) narrow the list; filters match
// case-insensitively, as in Kafka. While an offsets partition is still
// loading the answer carries COORDINATOR_LOAD_IN_PROGRESS with the groups
// known so far.

import (
	"context"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var listGroupsAPI = api{key: kmsg.ListGroups, min: 0, max: 5, serve: (*Handler).listGroups,
	authz: authzListGroups}

func (h *Handler) listGroups(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	groups, loading := h.Groups.ListGroups()
	if loading {
		resp.ErrorCode = kerr.CoordinatorLoadInProgress.Code
	}
	for _, g := range groups {
		if !matchesFilter(req.StatesFilter, g.State) || !matchesFilter(req.TypesFilter, g.Type) {
			continue
		}
		rg := kmsg.NewListGroupsResponseGroup()
		rg.Group, rg.ProtocolType, rg.GroupState, rg.GroupType = g.ID, g.ProtocolType, g.State, g.Type
		resp.Groups = append(resp.Groups, rg)
	}
	for _, g := range h.Share.Coordinator().List(time.Now()) { // share groups (KIP-932): type and protocol "share"
		if !matchesFilter(req.StatesFilter, g.State) || !matchesFilter(req.TypesFilter, "share") {
			continue
		}
		rg := kmsg.NewListGroupsResponseGroup()
		rg.Group, rg.ProtocolType, rg.GroupState, rg.GroupType = g.ID, "share", g.State, "share"
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func matchesFilter(filter []string, v string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if strings.EqualFold(f, v) {
			return true
		}
	}
	return false
}
