package protocol

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// VersionRange is an inclusive range of versions of one API key.
type VersionRange struct {
	Key      int16
	Min, Max int16
}

// Versions is the table of APIs a broker advertises in ApiVersions and
// accepts in the version gate. It is built once at start-up and is read-only
// afterwards, so it needs no lock.
type Versions struct {
	byKey map[int16]VersionRange
}

// NewVersions builds the table. A range whose max exceeds what the codec
// knows is clamped to the codec's max, so we never advertise a version we
// cannot decode.
func NewVersions(ranges []VersionRange) *Versions {
	v := &Versions{byKey: make(map[int16]VersionRange, len(ranges))}
	for _, r := range ranges {
		if req := kmsg.RequestForKey(r.Key); req != nil && r.Max > req.MaxVersion() {
			r.Max = req.MaxVersion()
		}
		v.byKey[r.Key] = r
	}
	return v
}

// Lookup returns the range for key.
func (v *Versions) Lookup(key int16) (VersionRange, bool) {
	r, ok := v.byKey[key]
	return r, ok
}

// ApiKeys lists the table in the shape of an ApiVersions response, sorted by
// key.
func (v *Versions) ApiKeys() []kmsg.ApiVersionsResponseApiKey {
	keys := make([]kmsg.ApiVersionsResponseApiKey, 0, len(v.byKey))
	for _, r := range v.byKey {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = r.Key, r.Min, r.Max
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].ApiKey < keys[j].ApiKey })
	return keys
}
