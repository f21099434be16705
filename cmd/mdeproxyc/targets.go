package main

import (
	"context"
	"fmt"

	"github.com/mdeproxyc/mdeproxyc/emitters/all"
)

func (c *cli) targets(_ context.Context, args []string) error {
	fs := c.flags("targets")
	if stop, err := c.parse(fs, args, 0); stop {
		return err
	}
	for _, e := range all.Emitters() {
		fmt.Fprintf(c.stdout, "%-12s %s\n", e.Name(), e.Summary())
	}
	return nil
}
