// Command timedgen writes timed_gen.go in the current directory (package
// service); go generate runs it.
package main

import (
	"fmt"
	"os"

	"micboard/app/service/internal/timedgen"
)

func main() {
	out, err := timedgen.Generate(".")
	if err == nil {
		err = os.WriteFile(timedgen.Output, out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "timedgen:", err)
		os.Exit(1)
	}
}
