package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/vigilmon/vigil/collector/rules"
	"github.com/vigilmon/vigil/internal/config"
)

// testRules is `vigil-collector test-rules FILE...`: it runs rule unit-test
// files and exits 1 when a test fails or a file is invalid (every problem
// listed with file:line:col), 2 on usage errors.
func testRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector test-rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vigil-collector test-rules FILE...\n\nRuns rule test files (see configs/rules/tests/) and exits 1 on any failure.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, f := range fs.Args() {
		failed, err := rules.RunTestFile(f, stdout)
		var es config.Errors
		switch {
		case errors.As(err, &es):
			fmt.Fprintln(stderr, es)
			code = 1
		case err != nil:
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			code = 1
		case failed > 0:
			code = 1
		}
	}
	if code != 0 {
		fmt.Fprintln(stderr, "rule tests FAILED")
	}
	return code
}
