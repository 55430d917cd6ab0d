package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestResolveArgs(t *testing.T) {
	tests := []struct {
		argv    []string
		want    []string
		wantErr bool
	}{
		{[]string{"samsa", "topics", "--list"}, []string{"topics", "--list"}, false},
		{[]string{"/opt/kafka/bin/kafka-topics.sh", "--list"}, []string{"topics", "--list"}, false},
		{[]string{"kafka-topics", "--list"}, []string{"topics", "--list"}, false},
		{[]string{"bin/kafka-server-start.sh", "config/server.properties"}, []string{"server", "config/server.properties"}, false},
		{[]string{"kafka-server-start.sh", "-daemon", "s.properties"}, []string{"server", "--daemon", "s.properties"}, false},
		{[]string{"samsa", "server", "-daemon"}, []string{"server", "--daemon"}, false},
		{[]string{"kafka-console-consumer.sh"}, []string{"console-consumer"}, false},
		{[]string{"kafka-storage.sh", "random-uuid"}, []string{"storage", "random-uuid"}, false},
		{[]string{"kafka-mirror-maker.sh"}, nil, true},
		{[]string{"samsa"}, []string{}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, " "), func(t *testing.T) {
			got, err := ResolveArgs(tt.argv)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEveryToolHasHelpWithExamples(t *testing.T) {
	root := NewRootCommand("test")
	for _, tl := range tools() {
		cmd, _, err := root.Find([]string{tl.name})
		if err != nil || cmd.Name() != tl.name {
			t.Fatalf("tool %s not registered: %v", tl.name, err)
		}
		if cmd.Example == "" {
			t.Errorf("tool %s has no --help examples", tl.name)
		}
		if !slices.Contains(cmd.Aliases, tl.kafka) {
			t.Errorf("tool %s lacks alias %s", tl.name, tl.kafka)
		}
		r := mustRun(t, "", tl.name, "--help")
		if !strings.Contains(r.out, "Examples:") {
			t.Errorf("%s --help shows no examples:\n%s", tl.name, r.out)
		}
	}
}

func TestVersion(t *testing.T) {
	if r := mustRun(t, "", "version"); !strings.HasPrefix(r.out, "samsa test (") {
		t.Errorf("version printed %q", r.out)
	}
	if r := mustRun(t, "", "--version"); r.out != "samsa test\n" {
		t.Errorf("--version printed %q", r.out)
	}
	if r := mustRun(t, "", "topics", "--version"); r.out != "samsa test\n" {
		t.Errorf("topics --version printed %q", r.out)
	}
}

func TestErrorLinesAndExitCode(t *testing.T) {
	tests := []struct {
		err   error
		lines []string
		code  int
	}{
		{nil, nil, 0},
		{errors.New("boom"), []string{"Error: boom"}, 1},
		{fmt.Errorf("invalid configuration:\n%w", errors.Join(errors.New("a bad"), errors.New("b bad"))),
			[]string{"Error: invalid configuration:", "  a bad", "  b bad"}, 1},
		{fmt.Errorf("invalid configuration (f):\n%w", errors.New("read f: no such file")),
			[]string{"Error: invalid configuration (f): read f: no such file"}, 1},
		{errors.Join(errors.New("group a is missing"), errors.New("group b is missing")),
			[]string{"Error: group a is missing", "Error: group b is missing"}, 1},
		{&ExitError{Code: 3, Err: errors.New("x")}, []string{"Error: x"}, 3},
	}
	for _, tt := range tests {
		if got := ErrorLines(tt.err); !slices.Equal(got, tt.lines) {
			t.Errorf("ErrorLines(%v) = %q, want %q", tt.err, got, tt.lines)
		}
		if got := ExitCode(tt.err); got != tt.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.code)
		}
	}
}

func TestUsageErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"topics", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"topics", "--list", "--create", "--bootstrap-server", "x:1"}, "exactly one action"},
		{[]string{"topics", "--zookeeper", "localhost:2181", "--list"}, "--bootstrap-server"},
		{[]string{"topics", "--list"}, "--bootstrap-server"},
		{[]string{"topics", "--create", "--bootstrap-server", "x:1"}, "--topic"},
		{[]string{"topics", "--create", "--topic", "t", "--partitions", "0", "--bootstrap-server", "x:1"}, "greater than 0"},
		{[]string{"topics", "--create", "--topic", "t", "--replica-assignment", "0:1", "--partitions", "2", "--bootstrap-server", "x:1"}, "can't be used"},
		{[]string{"topics", "--create", "--topic", "bad name", "--bootstrap-server", "127.0.0.1:1"}, "illegal"},
		{[]string{"configs", "--bootstrap-server", "x:1", "--describe"}, "--entity-type"},
		{[]string{"configs", "--bootstrap-server", "x:1", "--entity-type", "widgets", "--describe"}, "not supported"},
		{[]string{"configs", "--bootstrap-server", "x:1", "--entity-type", "brokers", "--entity-name", "a", "--describe"}, "valid integer"},
		{[]string{"configs", "--bootstrap-server", "x:1", "--topic", "t", "--alter"}, "--add-config"},
		{[]string{"console-consumer", "--bootstrap-server", "x:1", "--topic", "t", "--offset", "3"}, "partition is required"},
		{[]string{"console-consumer", "--bootstrap-server", "x:1", "--topic", "t", "--partition", "0", "--offset", "3", "--from-beginning"}, "cannot be specified together"},
		{[]string{"console-consumer", "--bootstrap-server", "x:1", "--topic", "t", "--partition", "0", "--offset", "-5"}, "non-negative"},
		{[]string{"console-consumer", "--bootstrap-server", "x:1"}, "--topic or --include"},
		{[]string{"console-producer", "--bootstrap-server", "x:1"}, "--topic"},
		{[]string{"producer-perf-test", "--topic", "t", "--num-records", "1", "--throughput", "-1"}, "--record-size or --payload-file"},
		{[]string{"producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "-1", "--producer-props", "acks=2", "bootstrap.servers=x:1"}, "invalid acks"},
		{[]string{"producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "-1", "--producer-props", "acks=1", "nonsense"}, "key=value"},
		{[]string{"consumer-perf-test", "--bootstrap-server", "x:1", "--topic", "t"}, "--messages"},
		{[]string{"server", "--daemon"}, "not supported"},
		{[]string{"server", "--log-level", "loud"}, "--log-level"},
		{[]string{"storage", "format", "-t", "nope", "-c", "x"}, "valid UUID"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := execute(t, "", tt.args...)
			if r.e == nil {
				t.Fatalf("no error; stdout %q", r.out)
			}
			if lines := ErrorLines(r.e); len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Fatalf("error lines %q, want one line containing %q", lines, tt.want)
			}
		})
	}
}
