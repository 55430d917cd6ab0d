package cli

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
)

// BrokerError is an error code returned by the broker, shown as Kafka's tools
// show it: the broker's own error message when it sent one, else the code's
// standard description, followed by the code name.
type BrokerError struct {
	Code    *kerr.Error
	Message string
}

func (e *BrokerError) Error() string {
	return fmt.Sprintf("%s (%s)", e.Message, e.Code.Message)
}

func (e *BrokerError) Unwrap() error { return e.Code }

// brokerError converts a response error code and optional message; it
// returns nil for code 0.
func brokerError(code int16, msg *string) error {
	err := kerr.ErrorForCode(code)
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return err
	}
	m := ke.Description
	if msg != nil && *msg != "" {
		m = *msg
	}
	return &BrokerError{Code: ke, Message: m}
}

// adminError converts an error and extra message as kadm reports them.
func adminError(err error, msg string) error {
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return err
	}
	return brokerError(ke.Code, &msg)
}

// answeredAll fails when the broker answered fewer (or more) results than
// items were asked: it did not say what became of the rest, so the command
// must not report success.
func answeredAll(what string, got, asked int) error {
	if got != asked {
		return fmt.Errorf("%s: the broker answered %d results for %d requested", what, got, asked)
	}
	return nil
}
