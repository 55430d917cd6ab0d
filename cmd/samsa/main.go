// Command samsa is a Kafka-compatible broker and its tools in one binary.
//
// It is multi-call: run through a link named kafka-<tool>.sh (see
// "samsa install-links") it behaves as that Kafka tool.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/samsa-io/samsa/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	os.Exit(run(interruptible(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM,
// so that every tool ends as Kafka's do on Ctrl-C: a consumer commits,
// leaves its group and prints its total, a producer delivers what it read.
// The first signal also restores the default handling, so a second one
// ends a stuck process at once. The process exits when run returns, so
// the registration needs no other release.
func interruptible() context.Context {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx
}

// run executes the command line argv and returns the process exit code.
// Errors are printed to stderr, one line per problem.
func run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	args, err := cli.ResolveArgs(argv)
	if err == nil {
		root := cli.NewRootCommand(version)
		root.SetArgs(args)
		root.SetIn(stdin)
		root.SetOut(stdout)
		root.SetErr(stderr)
		err = root.ExecuteContext(ctx)
	}
	for _, line := range cli.ErrorLines(err) {
		fmt.Fprintln(stderr, line)
	}
	return cli.ExitCode(err)
}
