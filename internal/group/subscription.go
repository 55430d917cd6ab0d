package group

import "encoding/binary"

// subscribedTopics decodes the topic list at the start of the "consumer"
// protocol's subscription metadata (ConsumerProtocolSubscription: int16
// version, then an array of int16-length strings). Malformed metadata
// yields what was decoded before the fault.
func subscribedTopics(meta []byte) []string {
	if len(meta) < 6 {
		return nil
	}
	n := int32(binary.BigEndian.Uint32(meta[2:]))
	b := meta[6:]
	var out []string
	for i := int32(0); i < n && len(b) >= 2; i++ {
		l := int(int16(binary.BigEndian.Uint16(b)))
		if l < 0 || len(b) < 2+l {
			break
		}
		out = append(out, string(b[2:2+l]))
		b = b[2+l:]
	}
	return out
}

// subscribed is the set of topics the members of a "consumer" group
// subscribe to under the selected protocol.
func (g *Group) subscribed() map[string]bool {
	out := make(map[string]bool)
	for _, m := range g.members {
		for _, t := range subscribedTopics(m.metadataFor(g.protocol)) {
			out[t] = true
		}
	}
	return out
}
