// Command diagram draws the topology (infra/topology) as one self-contained
// SVG, docs/topology.svg (`make diagram`): the functions grouped by domain with
// their routes, schedules, rules and grants; the bus events on the left, with
// who publishes and who consumes each; the tables on the right, with every
// function's read and write grants. The output depends on the topology only,
// so a test keeps the committed file current.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kiosk-news/kiosk/infra/topology"
)

func main() {
	out := flag.String("o", "docs/topology.svg", "where to write the SVG")
	flag.Parse()
	c := topology.Kiosk()
	if err := c.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "diagram:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, Render(c), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "diagram:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}
