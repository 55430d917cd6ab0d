package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// aclBroker is a broker with the built-in authorizer, nothing allowed by
// default, User:admin as super user, and a SASL_PLAINTEXT listener with
// PLAIN users admin and alice.
type aclBroker struct {
	addr, adminProps string
}

func startACLBroker(t *testing.T) aclBroker {
	t.Helper()
	secure := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	harness.Start(t, map[string]string{
		"listeners":                        "PLAINTEXT://127.0.0.1:" + strconv.Itoa(harness.FreePort(t)) + ",SASL_PLAINTEXT://" + secure,
		"sasl.enabled.mechanisms":          "PLAIN",
		"inter.broker.listener.name":       "SASL_PLAINTEXT", // the listener Metadata advertises
		"authorizer.class.name":            "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                      "User:admin",
		"allow.everyone.if.no.acl.found":   "false",
		"offsets.topic.replication.factor": "1",
		"offsets.topic.num.partitions":     "3",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`user_admin="admin-secret" user_alice="alice-secret";`,
	})
	props := filepath.Join(t.TempDir(), "admin.properties")
	body := "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n" +
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";` + "\n"
	if err := os.WriteFile(props, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return aclBroker{addr: secure, adminProps: props}
}

func (b aclBroker) client(t *testing.T, user string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(b.addr), kgo.SASL(plain.Auth{User: user, Pass: user + "-secret"}.AsMechanism()),
		kgo.RetryTimeout(3 * time.Second), kgo.RecordDeliveryTimeout(5 * time.Second)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func (b aclBroker) acls(t *testing.T, args ...string) string {
	t.Helper()
	args = append([]string{"acls", "--bootstrap-server", b.addr, "--command-config", b.adminProps}, args...)
	return harness.MustTool(t, 30*time.Second, "", args...).Stdout
}

// aliceCan reports what alice may do now: produce to, fetch from and see
// topic, join group, and create a topic.
type aliceView struct {
	produce, fetch, listOffsets, join, create error
	visible                                   []string
}

func observe(t *testing.T, b aclBroker, topic, group, newTopic string) aliceView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var v aliceView
	prod := b.client(t, "alice", kgo.DefaultProduceTopic(topic))
	v.produce = prod.ProduceSync(ctx, kgo.StringRecord("from-alice")).FirstErr()
	cl := b.client(t, "alice")
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	for _, mt := range md.Topics {
		v.visible = append(v.visible, *mt.Topic)
	}
	slices.Sort(v.visible)

	fetch := kmsg.NewPtrFetchRequest()
	fetch.ReplicaID, fetch.MaxWaitMillis, fetch.MaxBytes = -1, 10, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic, ft.TopicID = topic, b.topicID(t, topic) // the client picks a topic-id version
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes, fp.CurrentLeaderEpoch = 1<<20, -1
	ft.Partitions = append(ft.Partitions, fp)
	fetch.Topics = append(fetch.Topics, ft)
	fr, err := fetch.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	v.fetch = kerr.ErrorForCode(fr.Topics[0].Partitions[0].ErrorCode)

	lo, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = lo.Error()
	}
	v.listOffsets = err

	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.ProtocolType, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = group, "consumer", 10000, 10000
	join.Protocols = append(join.Protocols, kmsg.JoinGroupRequestProtocol{Name: "range"})
	// The client finds the coordinator first: a denial may come from there.
	// The first group request creates __consumer_offsets: retry its
	// COORDINATOR_NOT_AVAILABLE for a bounded while.
	for i := 0; i < 50; i++ {
		if jr, err := join.RequestWith(ctx, cl); err != nil {
			v.join = err
		} else {
			v.join = kerr.ErrorForCode(jr.ErrorCode)
		}
		if !errors.Is(v.join, kerr.CoordinatorNotAvailable) && !errors.Is(v.join, kerr.CoordinatorLoadInProgress) {
			break
		}
		time.Sleep(200 * time.Millisecond) // retry back-off
	}

	ct, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, newTopic)
	if err == nil {
		err = ct.Err
	}
	v.create = err
	return v
}

func TestACLsEndToEnd(t *testing.T) {
	b := startACLBroker(t)
	for _, topic := range []string{"app-events", "secret-topic"} {
		harness.MustTool(t, 30*time.Second, "", "topics", "--bootstrap-server", b.addr, "--command-config", b.adminProps,
			"--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1")
	}

	// 1. Without ACLs alice can do nothing.
	v := observe(t, b, "app-events", "app-group", "app-new")
	mustBe(t, "produce without ACLs", v.produce, kerr.TopicAuthorizationFailed, kerr.ClusterAuthorizationFailed)
	mustBe(t, "fetch without ACLs", v.fetch, kerr.TopicAuthorizationFailed)
	mustBe(t, "list offsets without ACLs", v.listOffsets, kerr.TopicAuthorizationFailed)
	mustBe(t, "join without ACLs", v.join, kerr.GroupAuthorizationFailed)
	mustBe(t, "create without ACLs", v.create, kerr.TopicAuthorizationFailed)
	if len(v.visible) != 0 {
		t.Fatalf("alice sees topics %v without ACLs", v.visible)
	}

	// 2. Prefixed WRITE and READ on app- topics and READ on app- groups.
	b.acls(t, "--add", "--allow-principal", "User:alice", "--operation", "Write", "--operation", "Read",
		"--topic", "app-", "--resource-pattern-type", "prefixed")
	b.acls(t, "--add", "--allow-principal", "User:alice", "--operation", "Read",
		"--group", "app-", "--resource-pattern-type", "prefixed")
	listed := b.acls(t, "--list", "--topic", "app-", "--resource-pattern-type", "prefixed")
	for _, want := range []string{"ResourcePattern(resourceType=TOPIC, name=app-, patternType=PREFIXED)",
		"(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)",
		"(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)"} {
		if !strings.Contains(listed, want) {
			t.Fatalf("--list lacks %q:\n%s", want, listed)
		}
	}
	desc := kmsg.NewPtrDescribeACLsRequest()
	desc.ResourceType, desc.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	desc.Operation, desc.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	described, err := desc.RequestWith(context.Background(), b.client(t, "admin"))
	if err != nil || described.ErrorCode != 0 || len(described.Resources) != 2 {
		t.Fatalf("DescribeAcls: %v %+v", err, described)
	}
	v = observe(t, b, "app-events", "app-group", "app-new")
	for name, err := range map[string]error{"produce": v.produce, "fetch": v.fetch, "list offsets": v.listOffsets, "join": v.join} {
		if err != nil && !errors.Is(err, kerr.MemberIDRequired) {
			t.Fatalf("%s with prefixed ACLs: %v", name, err)
		}
	}
	mustBe(t, "create without CREATE", v.create, kerr.TopicAuthorizationFailed)
	if !slices.Equal(v.visible, []string{"app-events"}) {
		t.Fatalf("alice sees %v, want [app-events]", v.visible)
	}
	other := observe(t, b, "secret-topic", "other-group", "app-new")
	mustBe(t, "produce outside the prefix", other.produce, kerr.TopicAuthorizationFailed)
	mustBe(t, "fetch outside the prefix", other.fetch, kerr.TopicAuthorizationFailed)
	mustBe(t, "join outside the prefix", other.join, kerr.GroupAuthorizationFailed)
	consumeOne(t, b)

	// 3. Removing the topic ACLs takes effect at once.
	out := b.acls(t, "--remove", "--force", "--allow-principal", "User:alice", "--topic", "app-", "--resource-pattern-type", "prefixed")
	if !strings.Contains(out, "operation=WRITE") {
		t.Fatalf("--remove printed:\n%s", out)
	}
	v = observe(t, b, "app-events", "app-group", "app-new")
	mustBe(t, "produce after removal", v.produce, kerr.TopicAuthorizationFailed, kerr.ClusterAuthorizationFailed)
	mustBe(t, "fetch after removal", v.fetch, kerr.TopicAuthorizationFailed)
	if len(v.visible) != 0 {
		t.Fatalf("alice still sees %v", v.visible)
	}
}

// topicID asks as admin for a topic's id.
func (b aclBroker) topicID(t *testing.T, topic string) [16]byte {
	t.Helper()
	md, err := kadm.NewClient(b.client(t, "admin")).Metadata(context.Background(), topic)
	if err != nil || md.Topics[topic].Err != nil {
		t.Fatalf("metadata of %s: %v %v", topic, err, md.Topics[topic].Err)
	}
	return md.Topics[topic].ID
}

// consumeOne reads the record alice produced through a consumer group.
func consumeOne(t *testing.T, b aclBroker) {
	t.Helper()
	cl := b.client(t, "alice", kgo.ConsumerGroup("app-readers"), kgo.ConsumeTopics("app-events"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("consume: %v", err)
		}
		if fs.NumRecords() > 0 {
			if err := cl.CommitUncommittedOffsets(ctx); err != nil {
				t.Fatalf("commit: %v", err)
			}
			return
		}
	}
	t.Fatal("alice's group consumer read nothing in 20 s")
}

func mustBe(t *testing.T, what string, err error, want ...error) {
	t.Helper()
	for _, w := range want {
		if errors.Is(err, w) {
			return
		}
	}
	t.Fatalf("%s: got %v, want %s", what, err, fmt.Sprint(want))
}

// an admin write the broker refuses makes the command
// fail with a one-line message, and changes nothing.
func TestACLDeniedAdminCommandsFail(t *testing.T) {
	b := startACLBroker(t)
	harness.MustTool(t, 30*time.Second, "", "topics", "--bootstrap-server", b.addr, "--command-config", b.adminProps,
		"--create", "--topic", "app-events", "--partitions", "1", "--replication-factor", "1")
	b.acls(t, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", "app-events")
	aliceProps := filepath.Join(t.TempDir(), "alice.properties")
	body := "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n" +
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";` + "\n"
	if err := os.WriteFile(aliceProps, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--bootstrap-server", b.addr, "--command-config", aliceProps}
	for name, args := range map[string][]string{
		"acls --add":           {"acls", "--add", "--allow-principal", "User:alice", "--operation", "All", "--topic", "*"},
		"acls --remove":        {"acls", "--remove", "--force", "--allow-principal", "User:alice", "--topic", "app-events"},
		"configs topic":        {"configs", "--alter", "--entity-type", "topics", "--entity-name", "app-events", "--add-config", "retention.ms=1000"},
		"configs users":        {"configs", "--alter", "--entity-type", "users", "--entity-name", "bob", "--add-config", "SCRAM-SHA-256=[password=bob-secret]"},
		"configs client quota": {"configs", "--alter", "--entity-type", "clients", "--entity-name", "c1", "--add-config", "producer_byte_rate=1024"},
	} {
		r := harness.Tool(t, 30*time.Second, "", append(args[:1:1], append(base, args[1:]...)...)...)
		stderr := strings.TrimSpace(r.Stderr)
		t.Logf("%s: %s", name, stderr)
		if r.Err == nil || strings.Contains(stderr, "\n") || !strings.Contains(strings.ToLower(stderr), "authorization") {
			t.Errorf("%s by an unauthorized user: want a non-zero exit and one line about authorization, got %s", name, r)
		}
	}
	listed := b.acls(t, "--list", "--topic", "app-events")
	if !strings.Contains(listed, "principal=User:alice, host=*, operation=READ") {
		t.Fatalf("alice's refused --remove removed her ACL:\n%s", listed)
	}
}
