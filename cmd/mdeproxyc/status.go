package main

import (
	"context"
	"fmt"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// statusCmd reads back from a channel what the devices report of the fleet's
// objects; "intune" is the one channel so far (docs/intune-publish.md,
// "status intune"). Exit 1 when a device reports an error, a failure or a
// reoccurring issue.
func (c *cli) statusCmd(ctx context.Context, args []string) error {
	fs := c.flags("status")
	format := fs.String("format", "text", "output format: text (a table, one row per profile) or json (Graph's counts)")
	gf := addGraphFlags(fs)
	if stop, err := c.parse(fs, args, 2); stop {
		return err
	}
	if err := intuneArgs("status", fs, *format); err != nil {
		return err
	}
	client, err := gf.client("status")
	if err != nil {
		return err
	}
	render, ps, err := c.intuneFleet(ctx, "status", fs)
	if err != nil {
		return err
	}
	st, err := publish.ReadStatus(ctx, client, ps, render)
	if c.caught() != nil {
		return &interruptedError{}
	}
	if err != nil {
		return fmt.Errorf("status: %s", diag.Escape(err.Error()))
	}
	if err := st.Write(c.stdout, *format); err != nil {
		return fmt.Errorf("status: %v", err)
	}
	if st.Failed() {
		return errReported
	}
	return nil
}
