package handler

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// authzDescribeTopicPartitions needs DESCRIBE on each topic, as Kafka: the
// topics the principal may not describe are left out before the page is
// cut, so that the limit and the cursor count only visible topics. A named
// topic left out is answered TOPIC_AUTHORIZATION_FAILED with no id (whether
// it exists is not disclosed); with the list empty it is not mentioned at
// all. The hook hands the handler the visible topics by name, so a request
// for every topic becomes one for the visible ones, whose deleted-meanwhile
// topics the fix drops again; a cursor on a topic left out starts the page
// at the next visible topic's partition 0, as Kafka's.
func authzDescribeTopicPartitions(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DescribeTopicPartitionsRequest)
	if !validTopicPartitionsCursor(req) {
		return nil, nil // answered INVALID_REQUEST with nothing but the names asked for
	}
	all := len(req.Topics) == 0
	var denied []string
	var visible []kmsg.DescribeTopicPartitionsRequestTopic
	for _, name := range pagedTopicNames(z.im, req) {
		if z.can(acl.OpDescribe, acl.Topic(name)) {
			visible = append(visible, kmsg.DescribeTopicPartitionsRequestTopic{Topic: name})
		} else if !all {
			denied = append(denied, name)
		}
	}
	if req.Cursor != nil && !slices.ContainsFunc(visible, func(t kmsg.DescribeTopicPartitionsRequestTopic) bool {
		return t.Topic == req.Cursor.Topic
	}) {
		req.Cursor = nil // visible holds only topics from the cursor's on
	}
	req.Topics = visible
	fix := func(r kmsg.Response) {
		resp := r.(*kmsg.DescribeTopicPartitionsResponse)
		if all {
			resp.Topics = slices.DeleteFunc(resp.Topics, func(t kmsg.DescribeTopicPartitionsResponseTopic) bool {
				return t.ErrorCode != 0
			})
		}
		for _, name := range denied {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			rt.Topic, rt.ErrorCode = kmsg.StringPtr(name), kerr.TopicAuthorizationFailed.Code
			resp.Topics = append(resp.Topics, rt)
		}
	}
	if len(visible) == 0 {
		// An empty list would read as every topic: answer here.
		resp := req.ResponseKind()
		fix(resp)
		return nil, resp
	}
	return fix, nil
}

// describeTopicPartitionsOps narrows each described topic's operations to
// the principal's.
func describeTopicPartitionsOps(z *authz, r kmsg.Response) {
	resp := r.(*kmsg.DescribeTopicPartitionsResponse)
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != nil {
			t.AuthorizedOperations = z.allowedOps(t.AuthorizedOperations, acl.Topic(*t.Topic))
		}
	}
}
