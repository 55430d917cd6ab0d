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

// ErrorLines returns the lines to print for err: one per problem, each
// starting "Error: ". An error whose first line is a heading ending in ":"
// (such as "invalid configuration (FILE):" over errors.Join'd problems) is
// one report: "Error: " heads it once and its problems follow indented, or
// on the same line when there is only one.
func ErrorLines(err error) []string {
	if err == nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if len(lines) > 1 && strings.HasSuffix(lines[0], ":") {
		if len(lines) == 2 {
			return []string{"Error: " + lines[0] + " " + lines[1]}
		}
		out := []string{"Error: " + lines[0]}
		for _, l := range lines[1:] {
			out = append(out, "  "+l)
		}
		return out
	}
	for i, l := range lines {
		lines[i] = "Error: " + l
	}
	return lines
}
