package main

import (
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// statusCmd reads back from a channel what the devices report of the fleet's
// objects; "intune" is the one channel so far (docs/intune-publish.md,
// "status intune"). Exit 1 when a device reports an error, a failure or a
// reoccurring issue.
func (c *cli) statusCmd(args []string) int {
	fs := c.flags("status")
	format := fs.String("format", "text", "output format: text (a table, one row per profile) or json (Graph's counts)")
	gf := addGraphFlags(fs)
	if code, ok := c.parse(fs, args, 2); !ok {
		return code
	}
	if fs.NArg() == 0 || fs.Arg(0) != "intune" {
		c.errorf("status: name the channel: 'mdeproxyc status intune [DIR]'")
		return exitUsage
	}
	if !slices.Contains(publish.Formats, *format) {
		c.errorf("status: unknown format %q; formats are: %s", *format, strings.Join(publish.Formats, ", "))
		return exitUsage
	}
	client, code, ok := gf.client(c, "status")
	if !ok {
		return code
	}
	render, ps, ok := c.intuneFleet("status", fs)
	if !ok {
		return exitFail
	}
	ctx, received, stop := signalContext()
	defer stop()
	st, err := publish.ReadStatus(ctx, client, ps, render)
	if s := received(); s != nil {
		c.errorf("interrupted (%v)", s)
		return signalExit(s)
	}
	if err != nil {
		c.errorf("status: %s", diag.Escape(err.Error()))
		return exitFail
	}
	if err := st.Write(c.stdout, *format); err != nil {
		c.errorf("status: %v", err)
		return exitFail
	}
	if st.Failed() {
		return exitFail
	}
	return exitOK
}
