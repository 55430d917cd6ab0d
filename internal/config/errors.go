package config

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidConfigValue is wrapped by every error about a bad value, for
	// broker keys and topic configurations alike.
	ErrInvalidConfigValue = errors.New("config: invalid value")
	// ErrUnknownTopicConfig is wrapped when a topic configuration name is not
	// in the table.
	ErrUnknownTopicConfig = errors.New("config: unknown topic config")
)

// ValueError is one bad value: the key, the value as given and what is
// allowed. Where, when known, is the source location ("server.properties:12"
// or "override").
type ValueError struct {
	Where   string
	Key     string
	Value   string
	Allowed string
}

func (e *ValueError) Error() string {
	msg := fmt.Sprintf("%s: invalid value %q: %s", e.Key, e.Value, e.Allowed)
	if e.Where != "" {
		return e.Where + ": " + msg
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrInvalidConfigValue) true.
func (e *ValueError) Unwrap() error { return ErrInvalidConfigValue }

func invalid(key, value, allowed string) *ValueError {
	return &ValueError{Key: key, Value: value, Allowed: allowed}
}
