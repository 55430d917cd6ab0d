package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestApiVersionsListsEveryAPI(t *testing.T) {
	dp := newDataPath(t)
	want := map[int16][2]int16{}
	for _, a := range allAPIs() {
		if _, dup := want[int16(a.key)]; dup {
			t.Fatalf("API key %d registered twice", a.key)
		}
		want[int16(a.key)] = [2]int16{a.min, a.max}
	}
	for _, v := range []int16{0, 3, 4, 5} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(v)
		resp := dp.h.apiVersions(context.Background(), req).(*kmsg.ApiVersionsResponse)
		if resp.ErrorCode != 0 || len(resp.ApiKeys) != len(want) {
			t.Fatalf("v%d: error %d, %d keys, want %d", v, resp.ErrorCode, len(resp.ApiKeys), len(want))
		}
		prev := int16(-1)
		for _, k := range resp.ApiKeys {
			r, ok := want[k.ApiKey]
			if !ok {
				t.Errorf("v%d: key %d advertised but not registered", v, k.ApiKey)
				continue
			}
			if k.ApiKey <= prev {
				t.Errorf("v%d: keys not sorted: %d after %d", v, k.ApiKey, prev)
			}
			prev = k.ApiKey
			codecMax := kmsg.RequestForKey(k.ApiKey).MaxVersion()
			if k.MinVersion != r[0] || k.MaxVersion != min(r[1], codecMax) {
				t.Errorf("v%d: key %d advertised %d-%d, registered %d-%d (codec max %d)",
					v, k.ApiKey, k.MinVersion, k.MaxVersion, r[0], r[1], codecMax)
			}
			if k.MaxVersion > codecMax || k.MinVersion > k.MaxVersion || k.MinVersion < 0 {
				t.Errorf("v%d: key %d range %d-%d outside the codec's 0-%d", v, k.ApiKey, k.MinVersion, k.MaxVersion, codecMax)
			}
		}
		back := kmsg.NewPtrApiVersionsResponse()
		back.SetVersion(v)
		if err := back.ReadFrom(resp.AppendTo(nil)); err != nil || len(back.ApiKeys) != len(want) {
			t.Fatalf("v%d response does not round-trip: %v", v, err)
		}
	}
}

// The data-path ranges, as documented at the top of each file.
func TestDataPathAPIVersions(t *testing.T) {
	want := map[kmsg.Key][2]int16{
		kmsg.Produce: {0, 11}, kmsg.Fetch: {4, 16}, kmsg.ListOffsets: {1, 7}, kmsg.Metadata: {0, 12},
		kmsg.ApiVersions: {0, 5}, kmsg.InitProducerID: {0, 5},
	}
	for _, a := range []api{produceAPI, fetchAPI, listOffsetsAPI, metadataAPI, apiVersionsAPI, initProducerIDAPI} {
		if got := [2]int16{a.min, a.max}; got != want[a.key] || a.serve == nil {
			t.Errorf("%s: %v (serve set: %v), want %v", a.key.Name(), got, a.serve != nil, want[a.key])
		}
		if a.max > kmsg.RequestForKey(int16(a.key)).MaxVersion() {
			t.Errorf("%s: max %d above the codec's %d", a.key.Name(), a.max, kmsg.RequestForKey(int16(a.key)).MaxVersion())
		}
	}
	v := New(Deps{}).Versions()
	for key, r := range want {
		got, ok := v.Lookup(int16(key))
		if !ok || got.Min != r[0] || got.Max != r[1] {
			t.Errorf("version gate for %s: %+v %v, want %v", key.Name(), got, ok, r)
		}
	}
}
