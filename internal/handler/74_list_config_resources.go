package handler

// ListConfigResources, versions 0–1 (KIP-1142; v0 was KIP-714's
// ListClientMetricsResources).
//
// Lists the resources configs can be described for: v0 only client-metrics
// subscriptions, v1 also topics, brokers, broker loggers and groups; an
// empty type list is every type the version supports, and a type it does
// not support fails the whole request with UNSUPPORTED_VERSION, as Kafka's
// broker answers. As Kafka 4.4 lists them (checked against it by the Java
// ListConfigResourcesTest): every topic, internal ones included; each live
// broker once as a broker and once as a broker logger; groups only when
// they have dynamic group configs, which Samsa does not keep, and
// client-metrics subscriptions, which it does not serve (KIP-714), so
// neither appears. DESCRIBE_CONFIGS on the cluster is needed.

import (
	"context"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var listConfigResourcesAPI = api{key: kmsg.ListConfigResources, min: 0, max: 1, serve: (*Handler).listConfigResources,
	authz: authzFromTable}

// configResourceTypes are the types each version lists, in the order of
// Kafka's answer.
func configResourceTypes(version int16) []kmsg.ConfigResourceType {
	if version == 0 {
		return []kmsg.ConfigResourceType{kmsg.ConfigResourceTypeClientMetrics}
	}
	return []kmsg.ConfigResourceType{kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeBroker,
		kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceTypeClientMetrics, kmsg.ConfigResourceTypeGroupConfig}
}

func (h *Handler) listConfigResources(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ListConfigResourcesRequest)
	resp := req.ResponseKind().(*kmsg.ListConfigResourcesResponse)
	supported := configResourceTypes(req.Version)
	wanted := supported
	if len(req.ResourceTypes) > 0 {
		wanted = nil
		for _, t := range supported {
			if slices.Contains(req.ResourceTypes, int8(t)) {
				wanted = append(wanted, t)
			}
		}
		for _, t := range req.ResourceTypes {
			if !slices.Contains(supported, kmsg.ConfigResourceType(t)) {
				resp.ErrorCode = kerr.UnsupportedVersion.Code
				return resp
			}
		}
	}
	im := h.Image()
	add := func(name string, t kmsg.ConfigResourceType) {
		rc := kmsg.NewListConfigResourcesResponseConfigResource()
		rc.Name, rc.Type = name, int8(t)
		resp.ConfigResources = append(resp.ConfigResources, rc)
	}
	brokers := im.LiveBrokers()
	slices.SortFunc(brokers, func(a, b metadata.Broker) int { return int(a.ID - b.ID) })
	for _, t := range wanted {
		switch t {
		case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
			for _, b := range brokers {
				add(strconv.Itoa(int(b.ID)), t)
			}
		case kmsg.ConfigResourceTypeTopic:
			for _, name := range im.SortedTopicNames() {
				add(name, t)
			}
		}
	}
	return resp
}
