package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"
)

// defaultRequestTimeout is Kafka's request.timeout.ms default. It bounds every
// admin operation, so a dead broker gives an error instead of a hang.
const defaultRequestTimeout = 30 * time.Second

// clientConfig is what every tool needs to build a franz-go client: seed
// brokers and the Kafka client properties from a config file and flags.
type clientConfig struct {
	seeds   []string
	props   map[string]string
	timeout time.Duration
}

// newClientConfig combines --bootstrap-server (or bootstrap.servers from the
// properties), a properties file (may be "") and per-flag properties, which
// win over the file.
func newClientConfig(bootstrap, propsFile string, flagProps map[string]string) (*clientConfig, error) {
	props := map[string]string{}
	if propsFile != "" {
		var err error
		if props, err = loadProperties(propsFile); err != nil {
			return nil, err
		}
	}
	props = mergeProps(props, flagProps)
	if bootstrap == "" {
		bootstrap = props["bootstrap.servers"]
	}
	seeds := splitList(bootstrap)
	if len(seeds) == 0 {
		return nil, usageErrorf("missing required argument --bootstrap-server (e.g. --bootstrap-server localhost:9092)")
	}
	c := &clientConfig{seeds: seeds, props: props, timeout: defaultRequestTimeout}
	if v, ok := props["request.timeout.ms"]; ok {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, usageErrorf("invalid request.timeout.ms %q: want a positive number of milliseconds", v)
		}
		c.timeout = time.Duration(ms) * time.Millisecond
	}
	return c, nil
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = appendNonEmpty(out, p)
	}
	return out
}

// baseOpts maps the client-wide properties to kgo options.
func (c *clientConfig) baseOpts() ([]kgo.Opt, error) {
	secOpts, err := securityOpts(c.props)
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.seeds...),
		kgo.RetryTimeout(c.timeout),
		kgo.DialTimeout(min(c.timeout, 10*time.Second)),
		kgo.RequestTimeoutOverhead(c.timeout),
	}
	opts = append(opts, secOpts...)
	// Java producers and consumers default allow.auto.create.topics=true:
	// the broker then creates an unknown topic when auto.create.topics.enable
	// allows it, which the quickstart's console tools rely on.
	if !strings.EqualFold(c.props["allow.auto.create.topics"], "false") {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	if id := c.props["client.id"]; id != "" {
		opts = append(opts, kgo.ClientID(id))
	}
	return opts, nil
}

// connect builds a client and checks, within the request timeout, that some
// seed broker answers. A dead cluster yields "cannot reach host:port: ...".
func (c *clientConfig) connect(ctx context.Context, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.baseOpts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("client options: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := cl.Ping(pingCtx); err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach %s: %w", strings.Join(c.seeds, ","), oneLine(err))
	}
	return cl, nil
}

// adminSession is the start of most admin tools: a client from
// --bootstrap-server and --command-config, connected, and a context bounded
// by the request timeout; done closes both.
func adminSession(ctx context.Context, bootstrap, commandConfig string) (*clientConfig, *kgo.Client, context.Context, func(), error) {
	cc, err := newClientConfig(bootstrap, commandConfig, nil)
	if err != nil {
		return nil, nil, ctx, nil, err
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return nil, nil, ctx, nil, err
	}
	ctx, cancel := cc.withTimeout(ctx)
	return cc, cl, ctx, func() { cancel(); cl.Close() }, nil
}

// withTimeout bounds one admin operation by the request timeout.
func (c *clientConfig) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// timeoutError rewrites a deadline error into a sentence naming the limit.
func (c *clientConfig) timeoutError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer from %s within %v (request.timeout.ms)", op, strings.Join(c.seeds, ","), c.timeout)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// oneLine flattens a multi-line error message.
func oneLine(err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "\n") {
		return err
	}
	return errors.New(strings.Join(strings.Fields(msg), " "))
}

// addZookeeperFlag accepts the legacy --zookeeper flag so that old runbooks
// get a useful message instead of "unknown flag".
func addZookeeperFlag(fs *pflag.FlagSet, dst *string) {
	fs.StringVar(dst, "zookeeper", "", "not supported: Samsa has no ZooKeeper; use --bootstrap-server")
	_ = fs.MarkHidden("zookeeper")
}

// zookeeperError is returned when --zookeeper was given.
func zookeeperError(zk string) error {
	if zk == "" {
		return nil
	}
	return usageErrorf("--zookeeper is not supported (Samsa, like Kafka 3+, has no ZooKeeper): use --bootstrap-server HOST:PORT instead")
}
