package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/publish"
	"github.com/mdeproxyc/mdeproxyc/signing"
)

// graphFlags are the flags publish and status share: where Graph is and how
// to sign in.
type graphFlags struct {
	url, auth *string
}

func addGraphFlags(fs *pflag.FlagSet) graphFlags {
	return graphFlags{
		url:  fs.String("graph-url", publish.DefaultGraphURL, "Microsoft Graph endpoint (https; http only to a loopback address): https://graph.microsoft.us, https://dod-graph.microsoft.us or https://microsoftgraph.chinacloudapi.cn for the national clouds"),
		auth: fs.String("auth", "auto", "how to sign in: "+strings.Join(publish.AuthMethods, ", ")+"; "+publish.TokenEnv+" (a bearer token) wins with auto"),
	}
}

// client checks the flags (a usage error for a bad --auth or --graph-url)
// and makes the Graph client.
func (g graphFlags) client(cmd string) (*publish.Client, error) {
	if !slices.Contains(publish.AuthMethods, *g.auth) {
		return nil, usagef("%s: unknown --auth %q; methods are: %s", cmd, *g.auth, strings.Join(publish.AuthMethods, ", "))
	}
	base, err := publish.CheckGraphURL(*g.url)
	if err != nil {
		return nil, usagef("%s: %v", cmd, err)
	}
	tokens, err := publish.Tokens(*g.auth, base)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", cmd, diag.Escape(err.Error()))
	}
	return &publish.Client{BaseURL: base, Token: tokens, HTTP: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// intuneArgs checks what publish and status take alike: the channel, the
// first argument, and --format.
func intuneArgs(cmd string, fs *pflag.FlagSet, format string) error {
	if fs.NArg() == 0 || fs.Arg(0) != "intune" {
		return usagef("%s: name the channel: 'mdeproxyc %s intune [DIR]'", cmd, cmd)
	}
	if !slices.Contains(publish.Formats, format) {
		return usagef("%s: unknown format %q; formats are: %s", cmd, format, strings.Join(publish.Formats, ", "))
	}
	return nil
}

// intuneFleet renders through build's intune emitter (with opts: a signer)
// and compiles the fleet in DIR, the command's second argument.
func (c *cli) intuneFleet(ctx context.Context, cmd string, fs *pflag.FlagSet, opts ...emitters.Option) (func(*model.Profile) ([]emitters.File, error), []*model.Profile, error) {
	render, err := all.Render("intune", opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", cmd, err)
	}
	dir := "."
	if fs.NArg() > 1 {
		dir = fs.Arg(1)
	}
	ps, err := c.compileFleet(ctx, dir, compile.Options{})
	return render, ps, err
}

// publishCmd makes a deployment channel match the fleet; "intune" is the one
// channel so far (docs/intune-publish.md).
func (c *cli) publishCmd(ctx context.Context, args []string) error {
	fs := c.flags("publish")
	dryRun := fs.Bool("dry-run", false, "print the plan (create / update / unchanged / orphaned, with the changed fields) and write nothing")
	format := fs.String("format", "text", "output format of the plan: "+strings.Join(publish.Formats, ", "))
	prune := fs.Bool("prune", false, "delete objects that carry mdeproxyc's marker for profiles no longer in the fleet")
	gf := addGraphFlags(fs)
	signCert := fs.String("sign-cert", "", "sign the scripts as 'build --sign-cert' does (same flags, same bytes), and publish them with enforceSignatureCheck: true")
	signPasswordEnv := fs.String("sign-password-env", "", "the environment variable holding the PKCS#12 password")
	timestampURL := fs.String("timestamp-url", "", "RFC 3161 timestamp server for the signatures (every run then re-signs, and so updates, the scripts)")
	bundleDir := fs.String("bundle", "", "publish the Intune bodies of this built bundle (checked against its manifest and the intent) instead of rendering them: a bundle signed with a timestamp, say")
	if stop, err := c.parse(fs, args, 2); stop {
		return err
	}
	if err := intuneArgs("publish", fs, *format); err != nil {
		return err
	}
	if *signCert == "" && (*signPasswordEnv != "" || *timestampURL != "") {
		return usagef("publish: --sign-password-env and --timestamp-url need --sign-cert")
	}
	if *bundleDir != "" && *signCert != "" {
		return usagef("publish: --bundle publishes the bundle's bodies as they were signed; --sign-cert is build's business then")
	}
	client, err := gf.client("publish")
	if err != nil {
		return err
	}
	var opts []emitters.Option
	if *signCert != "" {
		s, err := signing.Load(*signCert, *signPasswordEnv, *timestampURL)
		if err != nil {
			return fmt.Errorf("publish: --sign-cert %s; nothing was published", diag.Escape(err.Error()))
		}
		if w := s.Warning(); w != "" {
			c.errorf("warning: %s", w)
		}
		opts = append(opts, emitters.WithSigner(s))
	}
	render, ps, err := c.intuneFleet(ctx, "publish", fs, opts...)
	if err != nil {
		return err
	}
	if *bundleDir != "" {
		var err error
		if render, err = publish.FromBundle(*bundleDir, render); err != nil {
			return fmt.Errorf("publish: %s; nothing was published", diag.Escape(err.Error()))
		}
	}
	// What build refuses to write is not published either.
	if errs := lint.Errors(lint.Run(ps)); len(errs) > 0 {
		c.printDiags(errs)
		return fmt.Errorf("%d vet error%s; nothing was published", len(errs), plural(len(errs)))
	}
	res, err := publish.Run(ctx, client, ps, publish.Options{DryRun: *dryRun, Prune: *prune, Render: render})
	if c.caught() != nil && (err != nil || res.Interrupted) {
		// The request in flight was finished or abandoned; say what was
		// done, then exit 128+N (exitCode).
		if res != nil {
			_ = res.Write(c.stdout, *format)
		}
		if err != nil {
			return &interruptedError{state: "nothing was written"}
		}
		return &interruptedError{}
	}
	if err != nil {
		return fmt.Errorf("publish: %s; nothing was written", diag.Escape(err.Error()))
	}
	if err := res.Write(c.stdout, *format); err != nil {
		return fmt.Errorf("publish: %v", err)
	}
	if res.Failed() {
		for _, it := range res.Items {
			if it.Error != "" {
				c.errorf("%s", diag.Escape(it.Error))
			}
		}
		return errReported
	}
	return nil
}
