package handler

// DeleteGroups, versions 0–2.
//
// Deletes empty groups with their committed offsets (tombstones in
// __consumer_offsets). A group with members gets NON_EMPTY_GROUP, an
// unknown one GROUP_ID_NOT_FOUND, one coordinated elsewhere NOT_COORDINATOR.
// An empty share group (KIP-932) is deleted with its share-partition state.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var deleteGroupsAPI = api{key: kmsg.DeleteGroups, min: 0, max: 2, serve: (*Handler).deleteGroups,
	authz: authzDeleteGroups}

func (h *Handler) deleteGroups(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.DeleteGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, id := range req.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		if h.Share.Coordinator().Has(id) {
			rg.ErrorCode, rg.ErrorMessage = h.deleteShareGroup(id)
		} else {
			rg.ErrorCode = errorCode(h.Groups.DeleteGroup(ctx, id))
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}
