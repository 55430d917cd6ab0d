package handler

import (
	"fmt"
	"strings"

	"github.com/samsa-io/samsa/internal/metadata"
)

// maxTopicNameLength is Kafka's limit on topic names (255 minus room for
// the partition suffix of directory names).
const maxTopicNameLength = 249

// validateTopicName applies Kafka's topic name rules, with Kafka's messages.
// The error wraps errInvalidTopic (INVALID_TOPIC_EXCEPTION).
func validateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: Topic name is illegal, it can't be empty", errInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: Topic name cannot be \".\" or \"..\"", errInvalidTopic)
	case len(name) > maxTopicNameLength:
		return fmt.Errorf("%w: Topic name is illegal, it can't be longer than %d characters, topic name: %s",
			errInvalidTopic, maxTopicNameLength, name)
	}
	for i := 0; i < len(name); i++ {
		if !legalTopicByte(name[i]) {
			return fmt.Errorf("%w: Topic name \"%s\" is illegal, it contains a character other than "+
				"ASCII alphanumerics, '.', '_' and '-'", errInvalidTopic, name)
		}
	}
	return nil
}

func legalTopicByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// duplicates returns the keys that occur more than once among items. Admin
// requests reject every entry of a repeated topic (or config key) rather
// than guess which one the client meant.
func duplicates[T any](items []T, key func(T) string) map[string]bool {
	seen := make(map[string]bool, len(items))
	dup := map[string]bool{}
	for _, it := range items {
		k := key(it)
		if seen[k] {
			dup[k] = true
		}
		seen[k] = true
	}
	return dup
}

// errDuplicateTopic answers every entry of a topic named twice in one
// request, as Kafka's controller does.
var errDuplicateTopic = fmt.Errorf("%w: Duplicate topic name.", errInvalidRequest)

// topicCollision rejects a new topic whose name differs from an existing
// one only by '.' versus '_' (the two collide in metric names), with
// Kafka's message.
func topicCollision(im *metadata.Image, name string) error {
	key := strings.ReplaceAll(name, ".", "_")
	for existing := range im.Topics {
		if existing != name && strings.ReplaceAll(existing, ".", "_") == key {
			return fmt.Errorf("%w: Topic '%s' collides with existing topic: %s", errInvalidTopic, name, existing)
		}
	}
	return nil
}
