package handler

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

func TestValidateTopicName(t *testing.T) {
	long := strings.Repeat("a", 250)
	tests := []struct {
		name string
		msg  string // "" when valid
	}{
		{"orders", ""},
		{"Valid.name_1-2", ""},
		{strings.Repeat("a", 249), ""},
		{"", "Topic name is illegal, it can't be empty"},
		{".", `Topic name cannot be "." or ".."`},
		{"..", `Topic name cannot be "." or ".."`},
		{long, "Topic name is illegal, it can't be longer than 249 characters, topic name: " + long},
		{"a b", `Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"caf\u00e9", `Topic name "caf` + "\u00e9" + `" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"a/b", `Topic name "a/b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
	}
	for _, tt := range tests {
		err := validateTopicName(tt.name)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("validateTopicName(%q) = %v, want nil", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, errInvalidTopic) {
			t.Errorf("validateTopicName(%q) = %v, want errInvalidTopic", tt.name, err)
			continue
		}
		if code := errorCode(err); code != 17 {
			t.Errorf("validateTopicName(%q): code %d, want 17", tt.name, code)
		}
		if got := *errorMessage(err); got != tt.msg {
			t.Errorf("validateTopicName(%q): message %q, want %q", tt.name, got, tt.msg)
		}
	}
}

func TestDuplicates(t *testing.T) {
	got := duplicates([]string{"a", "b", "a", "c", "b", "a"}, func(s string) string { return s })
	if len(got) != 2 || !got["a"] || !got["b"] {
		t.Fatalf("duplicates = %v, want a and b", got)
	}
	if got := duplicates([]string{"a", "b"}, func(s string) string { return s }); len(got) != 0 {
		t.Fatalf("duplicates of distinct names = %v, want none", got)
	}
}

func TestAdminAPIVersions(t *testing.T) {
	want := map[string][2]int16{
		"createTopics": {2, 7}, "deleteTopics": {1, 6}, "deleteRecords": {0, 2},
		"describeConfigs": {1, 4}, "alterConfigs": {0, 2}, "createPartitions": {0, 3},
		"incrementalAlterConfigs": {0, 1}, "describeCluster": {0, 2},
	}
	apis := map[string]api{
		"createTopics": createTopicsAPI, "deleteTopics": deleteTopicsAPI, "deleteRecords": deleteRecordsAPI,
		"describeConfigs": describeConfigsAPI, "alterConfigs": alterConfigsAPI, "createPartitions": createPartitionsAPI,
		"incrementalAlterConfigs": incrementalAlterConfigsAPI, "describeCluster": describeClusterAPI,
	}
	for name, a := range apis {
		if got := [2]int16{a.min, a.max}; got != want[name] || a.serve == nil {
			t.Errorf("%s: versions %v (serve set: %v), want %v", name, got, a.serve != nil, want[name])
		}
	}
}

// The fixture below is shared by the admin API tests (19, 20, 21, 32, 33,
// 37, 44, 60).

// kindError mimics the controller's errors: Kafka's message, matching a
// sentinel through Unwrap.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

type alterCall struct {
	name         string
	ops          []controller.ConfigOp
	replaceAll   bool
	validateOnly bool
}

type partitionsCall struct {
	name         string
	count        int32
	assignments  [][]int32
	validateOnly bool
}

// adminController is a fake Controller recording every call. An error in
// errs (by topic name) is returned instead of doing the work; block makes
// calls wait for their context.
type adminController struct {
	unregistered []int32 // UnregisterBroker calls (64_unregister_broker_test.go)
	mu           sync.Mutex
	errs         map[string]error
	block        bool
	creates      []controller.CreateTopicRequest
	deletes      []string
	parts        []partitionsCall
	alters       []alterCall
	ids          map[string][16]byte
	deadline     bool // the last call's context had a deadline
	// brokerCfgs are the dynamic broker configs AlterBrokerConfig stored
	// (broker_configs_test.go).
	brokerCfgs map[string]map[string]string
}

func (c *adminController) begin(ctx context.Context, name string) error {
	_, c.deadline = ctx.Deadline()
	if c.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.errs[name]
}

func (c *adminController) CreateTopic(ctx context.Context, req controller.CreateTopicRequest) (*metadata.Topic, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creates = append(c.creates, req)
	if err := c.begin(ctx, req.Name); err != nil {
		return nil, err
	}
	t := &metadata.Topic{Name: req.Name, Configs: req.Configs}
	if !req.ValidateOnly {
		t.ID = [16]byte{0xAB, byte(len(c.creates))}
	}
	n, rf := req.NumPartitions, int(req.ReplicationFactor)
	if len(req.Assignments) > 0 {
		n, rf = int32(len(req.Assignments)), len(req.Assignments[0])
	}
	for i := int32(0); i < n; i++ {
		t.Partitions = append(t.Partitions, metadata.Partition{Index: i, Replicas: make([]int32, rf)})
	}
	return t, nil
}

func (c *adminController) DeleteTopic(ctx context.Context, name string) ([16]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deletes = append(c.deletes, name)
	if err := c.begin(ctx, name); err != nil {
		return [16]byte{}, err
	}
	return c.ids[name], nil
}

func (c *adminController) CreatePartitions(ctx context.Context, name string, count int32, assignments [][]int32, validateOnly bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parts = append(c.parts, partitionsCall{name, count, assignments, validateOnly})
	return c.begin(ctx, name)
}

func (c *adminController) AlterTopicConfig(ctx context.Context, name string, ops []controller.ConfigOp, replaceAll, validateOnly bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alters = append(c.alters, alterCall{name, ops, replaceAll, validateOnly})
	return c.begin(ctx, name)
}

var (
	ordersID = [16]byte{1, 2, 3}
	logsID   = [16]byte{4, 5, 6}
)

// adminImage: brokers 1, 2 (rack r2) and fenced 3; "orders" with three
// partitions led by 1, 2, 1 and a retention.ms override; "logs" with one
// partition led by 2.
func adminImage() *metadata.Image {
	im := metadata.Empty()
	im.ClusterID = "test-cluster"
	im.ControllerID = 1
	im.Brokers[1] = metadata.Broker{ID: 1, Host: "h1", Port: 9092}
	im.Brokers[2] = metadata.Broker{ID: 2, Host: "h2", Port: 9093, Rack: "r2"}
	im.Brokers[3] = metadata.Broker{ID: 3, Host: "h3", Port: 9094, Fenced: true}
	orders := &metadata.Topic{Name: "orders", ID: ordersID, Configs: map[string]string{"retention.ms": "1000"}}
	for i, leader := range []int32{1, 2, 1} {
		orders.Partitions = append(orders.Partitions, metadata.Partition{
			Index: int32(i), Leader: leader, Replicas: []int32{1, 2}, ISR: []int32{1, 2}})
	}
	logs := &metadata.Topic{Name: "logs", ID: logsID, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{2}, ISR: []int32{2}}}}
	for _, t := range []*metadata.Topic{orders, logs} {
		im.Topics[t.Name] = t
		im.TopicsByID[t.ID] = t
	}
	return im
}

// adminConfig is Kafka's defaults with num.partitions=6,
// default.replication.factor=2 and log.segment.bytes=1048576 given.
func adminConfig() *config.Broker {
	cfg := config.Default()
	cfg.NumPartitions = 6
	cfg.DefaultReplicationFactor = 2
	cfg.LogSegmentBytes = 1048576
	cfg.Raw = map[string]string{"num.partitions": "6", "default.replication.factor": "2", "log.segment.bytes": "1048576"}
	return cfg
}

func newAdminHandler() (*Handler, *adminController) {
	fc := &adminController{errs: map[string]error{}, ids: map[string][16]byte{"orders": ordersID, "logs": logsID}}
	im := adminImage()
	return &Handler{Deps: Deps{
		NodeID:     1,
		Config:     adminConfig(),
		Image:      func() *metadata.Image { return im },
		Controller: fc,
	}}, fc
}

func strp(s string) *string { return &s }

func msgOf(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
