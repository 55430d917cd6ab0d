package metadata

import (
	"maps"
	"strconv"
)

// DefaultBrokerConfigResource is the resource name of the cluster-wide
// default dynamic broker configs.
const DefaultBrokerConfigResource = ""

// BrokerConfigResource is the resource name of one broker's dynamic
// configs: its id in decimal, as Kafka names it.
func BrokerConfigResource(id int32) string { return strconv.FormatInt(int64(id), 10) }

// BrokerConfig returns a copy of the dynamic configs stored under one
// resource name ("" or a broker id); empty, never nil, when none are.
func (im *Image) BrokerConfig(resource string) map[string]string {
	out := maps.Clone(im.BrokerConfigs[resource])
	if out == nil {
		out = map[string]string{}
	}
	return out
}

// DynamicBrokerConfig is the dynamic config broker id runs with: the
// cluster-wide defaults overlaid with its own values, which win, as in
// Kafka (DYNAMIC_BROKER_CONFIG before DYNAMIC_DEFAULT_BROKER_CONFIG).
func (im *Image) DynamicBrokerConfig(id int32) map[string]string {
	out := im.BrokerConfig(DefaultBrokerConfigResource)
	maps.Copy(out, im.BrokerConfigs[BrokerConfigResource(id)])
	return out
}
