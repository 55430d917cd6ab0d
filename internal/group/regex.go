package group

// KIP-848 regular-expression subscriptions (ConsumerGroupHeartbeat v1
// SubscribedTopicRegex). The coordinator, not the client, resolves a
// member's expression against every topic in the cluster: Java's
// SubscriptionPattern and franz-go's ConsumeRegex with the server-side
// balancer rely on it. As in Kafka:
//   - the expression is RE2 (Kafka uses RE2/J; Go's regexp is the same
//     syntax) and must match the whole topic name; internal topics are
//     not skipped;
//   - an expression that does not compile is INVALID_REGULAR_EXPRESSION;
//   - one resolution per distinct expression is shared by the group's
//     members, and the matched topics are filtered by the DESCRIBE right of
//     the member whose heartbeat ran the resolution;
//   - a resolution is redone when an expression is new to the group, or
//     when the topics may have changed and the last one is older than
//     regexRefreshInterval, so a topic created later joins within about
//     that interval plus one heartbeat.
// A member's topics are its names plus its expression's topics; a changed
// resolution changes the subscribed partition counts, which bumps the
// group epoch like any subscription change.

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// regexRefreshInterval is the least time between two resolutions of a
// group's expressions while topics change (Kafka's 10 s batch refresh).
const regexRefreshInterval = 10 * time.Second

// TopicLister is the cluster's topic list for resolving expressions.
type TopicLister interface {
	// TopicsVersion changes whenever the topic list may have changed.
	TopicsVersion() uint64
	TopicNames() []string
}

// compileTopicRegex compiles a subscription expression anchored at both
// ends: Kafka matches the whole topic name.
func compileTopicRegex(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidRegularExpression, expr, err)
	}
	return re, nil
}

// regexState is a group's resolved expressions (guarded by Group.mu).
type regexState struct {
	topics    map[string][]string // expression -> matched topics, sorted
	version   uint64              // TopicsVersion they were resolved at
	refreshed time.Time
}

// refreshRegexes resolves the group's expressions when needed (see the
// file comment) and forgets those no member uses any more.
func (g *Group) refreshRegexes(c *Coordinator, req ConsumerHeartbeat) {
	cg := g.cg
	inUse := make(map[string]bool)
	for _, m := range cg.members {
		if m.regex != "" {
			inUse[m.regex] = true
		}
	}
	for expr := range cg.regexes.topics {
		if !inUse[expr] {
			delete(cg.regexes.topics, expr)
		}
	}
	if len(inUse) == 0 || req.Topics == nil {
		return
	}
	unresolved := false
	for expr := range inUse {
		if _, ok := cg.regexes.topics[expr]; !ok {
			unresolved = true
		}
	}
	now := c.clock.Now()
	version := req.Topics.TopicsVersion()
	stale := version != cg.regexes.version && now.Sub(cg.regexes.refreshed) >= regexRefreshInterval
	if !unresolved && !stale {
		return
	}
	names := req.Topics.TopicNames()
	resolved := make(map[string][]string, len(inUse))
	for expr := range inUse {
		re, err := compileTopicRegex(expr)
		if err != nil { // validated when the member sent it; cannot happen
			c.logger.Error("consumer group regular expression does not compile", "group", g.id, "err", err)
			continue
		}
		matched := []string{}
		for _, name := range names {
			if re.MatchString(name) && (req.CanDescribe == nil || req.CanDescribe(name)) {
				matched = append(matched, name)
			}
		}
		slices.Sort(matched)
		resolved[expr] = matched
	}
	cg.regexes = regexState{topics: resolved, version: version, refreshed: now}
}

// memberTopics is every topic m subscribes to: its names and its
// expression's resolved topics (possibly with repeats).
func (cg *consumerGroup) memberTopics(m *consumerMember) []string {
	if m.regex == "" {
		return m.subscribed
	}
	return append(slices.Clip(m.subscribed), cg.regexes.topics[m.regex]...)
}
