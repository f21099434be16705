package main

import (
	"context"

	"github.com/mdeproxyc/mdeproxyc/schema"
)

func (c *cli) schema(_ context.Context, args []string) error {
	fs := c.flags("schema")
	if stop, err := c.parse(fs, args, 0); stop {
		return err
	}
	_, err := c.stdout.Write(schema.CUE)
	return err
}
