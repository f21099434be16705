package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
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

// client checks the flags (usage errors: ok false, code 2) and makes the
// Graph client.
func (g graphFlags) client(c *cli, cmd string) (*publish.Client, int, bool) {
	if !slices.Contains(publish.AuthMethods, *g.auth) {
		c.errorf("%s: unknown --auth %q; methods are: %s", cmd, *g.auth, strings.Join(publish.AuthMethods, ", "))
		return nil, exitUsage, false
	}
	base, err := publish.CheckGraphURL(*g.url)
	if err != nil {
		c.errorf("%s: %v", cmd, err)
		return nil, exitUsage, false
	}
	tokens, err := publish.Tokens(*g.auth, base)
	if err != nil {
		c.errorf("%s: %s", cmd, diag.Escape(err.Error()))
		return nil, exitFail, false
	}
	return &publish.Client{BaseURL: base, Token: tokens, HTTP: &http.Client{Timeout: 2 * time.Minute}}, 0, true
}

// intuneFleet renders through build's intune emitter (with opts: a signer)
// and compiles the fleet in DIR, the command's second argument.
func (c *cli) intuneFleet(cmd string, fs *pflag.FlagSet, opts ...emitters.Option) (func(*model.Profile) ([]emitters.File, error), []*model.Profile, bool) {
	render, err := all.Render("intune", opts...)
	if err != nil {
		c.errorf("%s: %v", cmd, err)
		return nil, nil, false
	}
	dir := "."
	if fs.NArg() > 1 {
		dir = fs.Arg(1)
	}
	ps, ok := c.compileFleet(dir, compile.Options{})
	return render, ps, ok
}

// ownSignals tells main's signal handler that the running command handles
// SIGINT and SIGTERM itself (publish accounts for what it wrote first).
var ownSignals atomic.Bool

// signalContext is cancelled by SIGINT or SIGTERM; received tells which
// arrived (nil when none did).
func signalContext() (ctx context.Context, received func() os.Signal, stop func()) {
	ownSignals.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			got.Store(s)
			cancel()
		case <-done:
			return
		}
		// A second signal does not wait for the request in flight.
		select {
		case s := <-ch:
			os.Exit(signalExit(s))
		case <-done:
		}
	}()
	return ctx, func() os.Signal {
			s, _ := got.Load().(os.Signal)
			return s
		}, func() {
			signal.Stop(ch)
			close(done)
			cancel()
		}
}

// signalExit is the shells' exit code for a signal: 128 + its number.
func signalExit(s os.Signal) int {
	if s == syscall.SIGTERM {
		return 143
	}
	return 130
}

// publishCmd makes a deployment channel match the fleet; "intune" is the one
// channel so far (docs/intune-publish.md).
func (c *cli) publishCmd(args []string) int {
	fs := c.flags("publish")
	dryRun := fs.Bool("dry-run", false, "print the plan (create / update / unchanged / orphaned, with the changed fields) and write nothing")
	format := fs.String("format", "text", "output format of the plan: "+strings.Join(publish.Formats, ", "))
	prune := fs.Bool("prune", false, "delete objects that carry mdeproxyc's marker for profiles no longer in the fleet")
	gf := addGraphFlags(fs)
	signCert := fs.String("sign-cert", "", "sign the scripts as 'build --sign-cert' does (same flags, same bytes), and publish them with enforceSignatureCheck: true")
	signPasswordEnv := fs.String("sign-password-env", "", "the environment variable holding the PKCS#12 password")
	timestampURL := fs.String("timestamp-url", "", "RFC 3161 timestamp server for the signatures (every run then re-signs, and so updates, the scripts)")
	bundleDir := fs.String("bundle", "", "publish the Intune bodies of this built bundle (checked against its manifest and the intent) instead of rendering them: a bundle signed with a timestamp, say")
	if code, ok := c.parse(fs, args, 2); !ok {
		return code
	}
	if fs.NArg() == 0 || fs.Arg(0) != "intune" {
		c.errorf("publish: name the channel: 'mdeproxyc publish intune [DIR]'")
		return exitUsage
	}
	if !slices.Contains(publish.Formats, *format) {
		c.errorf("publish: unknown format %q; formats are: %s", *format, strings.Join(publish.Formats, ", "))
		return exitUsage
	}
	if *signCert == "" && (*signPasswordEnv != "" || *timestampURL != "") {
		c.errorf("publish: --sign-password-env and --timestamp-url need --sign-cert")
		return exitUsage
	}
	if *bundleDir != "" && *signCert != "" {
		c.errorf("publish: --bundle publishes the bundle's bodies as they were signed; --sign-cert is build's business then")
		return exitUsage
	}
	client, code, ok := gf.client(c, "publish")
	if !ok {
		return code
	}
	var opts []emitters.Option
	if *signCert != "" {
		s, err := signing.Load(*signCert, *signPasswordEnv, *timestampURL)
		if err != nil {
			c.errorf("publish: --sign-cert %s; nothing was published", diag.Escape(err.Error()))
			return exitFail
		}
		if w := s.Warning(); w != "" {
			c.errorf("warning: %s", w)
		}
		opts = append(opts, emitters.WithSigner(s))
	}
	render, ps, ok := c.intuneFleet("publish", fs, opts...)
	if !ok {
		return exitFail
	}
	if *bundleDir != "" {
		var err error
		if render, err = publish.FromBundle(*bundleDir, render); err != nil {
			c.errorf("publish: %s; nothing was published", diag.Escape(err.Error()))
			return exitFail
		}
	}
	// What build refuses to write is not published either.
	if errs := lint.Errors(lint.Run(ps)); len(errs) > 0 {
		c.printDiags(errs)
		c.errorf("%d vet error%s; nothing was published", len(errs), plural(len(errs)))
		return exitFail
	}
	ctx, received, stop := signalContext()
	defer stop()
	res, err := publish.Run(ctx, client, ps, publish.Options{DryRun: *dryRun, Prune: *prune, Render: render})
	if s := received(); s != nil && (err != nil || res.Interrupted) {
		if res != nil {
			_ = res.Write(c.stdout, *format)
		}
		c.errorf("interrupted (%v)%s", s, map[bool]string{true: "; nothing was written", false: ""}[err != nil])
		return signalExit(s)
	}
	if err != nil {
		c.errorf("publish: %s; nothing was written", diag.Escape(err.Error()))
		return exitFail
	}
	if err := res.Write(c.stdout, *format); err != nil {
		c.errorf("publish: %v", err)
		return exitFail
	}
	if res.Failed() {
		for _, it := range res.Items {
			if it.Error != "" {
				c.errorf("%s", diag.Escape(it.Error))
			}
		}
		return exitFail
	}
	return exitOK
}
