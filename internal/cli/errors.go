package cli

import (
	"errors"
	"strings"
)

// UsageError is a wrong command line: a missing, unknown or conflicting flag.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

// ExitError carries the process exit code a command wants. Errors that are not
// an ExitError exit with 1, as Kafka's tools do.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by the command tree to a process exit code:
// 0 for nil, an ExitError's own code, else 1.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

// ErrorLines returns the lines to print for err: one per problem. Most errors
// are one line; a joined error (errors.Join, e.g. every invalid key found by
// config validation) gives one line per problem.
func ErrorLines(err error) []string {
	if err == nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, "Error: "+l)
		}
	}
	return lines
}
