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

	"github.com/samsa-io/samsa/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
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
