package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// publishCmd makes a deployment channel match the fleet; "intune" is the one
// channel so far (docs/intune-publish.md).
func (c *cli) publishCmd(ctx context.Context, args []string) error {
	fs := c.flags("publish")
	dryRun := fs.Bool("dry-run", false, "print the plan (create / update / unchanged / orphaned, with the changed fields) and write nothing")
	format := fs.String("format", "text", "output format of the plan: "+strings.Join(publish.Formats, ", "))
	prune := fs.Bool("prune", false, "delete objects that carry mdeproxyc's marker for profiles no longer in the fleet")
	graphURL := fs.String("graph-url", publish.DefaultGraphURL, "Microsoft Graph endpoint: https://graph.microsoft.us, https://dod-graph.microsoft.us or https://microsoftgraph.chinacloudapi.cn for the national clouds")
	auth := fs.String("auth", "auto", "how to sign in: "+strings.Join(publish.AuthMethods, ", ")+"; "+publish.TokenEnv+" (a bearer token) wins with auto")
	if stop, err := c.parse(fs, args, 2); stop {
		return err
	}
	if fs.NArg() == 0 || fs.Arg(0) != "intune" {
		return usagef("publish: name the channel: 'mdeproxyc publish intune [DIR]'")
	}
	if !slices.Contains(publish.Formats, *format) {
		return usagef("publish: unknown format %q; formats are: %s", *format, strings.Join(publish.Formats, ", "))
	}
	if !slices.Contains(publish.AuthMethods, *auth) {
		return usagef("publish: unknown --auth %q; methods are: %s", *auth, strings.Join(publish.AuthMethods, ", "))
	}
	dir := "."
	if fs.NArg() > 1 {
		dir = fs.Arg(1)
	}
	ps, err := c.compileFleet(ctx, dir, compile.Options{})
	if err != nil {
		return err
	}
	// What build refuses to write is not published either.
	if errs := lint.Errors(lint.Run(ps)); len(errs) > 0 {
		c.printDiags(errs)
		return fmt.Errorf("%d vet error%s; nothing was published", len(errs), plural(len(errs)))
	}
	tokens, err := publish.Tokens(*auth, *graphURL)
	if err != nil {
		return fmt.Errorf("publish: %v", err)
	}
	client := &publish.Client{BaseURL: *graphURL, Token: tokens, HTTP: &http.Client{Timeout: 2 * time.Minute}}
	res, err := publish.Run(ctx, client, ps, publish.Options{DryRun: *dryRun, Prune: *prune})
	if err != nil {
		return fmt.Errorf("publish: %v; nothing was written", err)
	}
	if err := res.Write(c.stdout, *format); err != nil {
		return fmt.Errorf("publish: %v", err)
	}
	if res.Failed() {
		for _, it := range res.Items {
			if it.Error != "" {
				c.errorf("%s", it.Error)
			}
		}
		return errReported
	}
	return nil
}
