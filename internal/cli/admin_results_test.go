package cli

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A broker that answers an admin write with fewer results than asked (as
// Samsa did when it refused one) did not say the write
// happened: the command fails with one line instead of reporting success.
func TestAdminWritesFailWithoutResults(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start fake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	addr := strings.Join(c.ListenAddrs(), ",")
	// Every admin write answers an empty result list.
	for _, key := range []kmsg.Key{kmsg.CreateACLs, kmsg.DeleteACLs, kmsg.AlterClientQuotas, kmsg.AlterUserSCRAMCredentials,
		kmsg.IncrementalAlterConfigs, kmsg.AlterConfigs} {
		c.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			resp := req.ResponseKind()
			resp.SetVersion(req.GetVersion())
			return resp, nil, true
		})
	}
	for name, args := range map[string][]string{
		"acls --add":    {"acls", "--add", "--allow-principal", "User:a", "--operation", "Read", "--topic", "t"},
		"acls --remove": {"acls", "--remove", "--force", "--allow-principal", "User:a", "--topic", "t"},
		"configs topic": {"configs", "--alter", "--entity-type", "topics", "--entity-name", "t", "--add-config", "retention.ms=1000"},
		"configs users": {"configs", "--alter", "--entity-type", "users", "--entity-name", "bob", "--add-config", "SCRAM-SHA-256=[password=bob-secret]"},
		"configs quota": {"configs", "--alter", "--entity-type", "clients", "--entity-name", "c1", "--add-config", "producer_byte_rate=1024"},
	} {
		r := execute(t, "", append(args[:1:1], append([]string{"--bootstrap-server", addr}, args[1:]...)...)...)
		t.Logf("%s: %v", name, r.e)
		if r.e == nil || strings.Contains(strings.TrimSpace(r.e.Error()), "\n") {
			t.Errorf("%s with no results: err %v, out %q", name, r.e, r.out)
		}
	}
}
