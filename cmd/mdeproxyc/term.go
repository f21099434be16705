package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/diag"
)

// Terminal output: colour and progress go only to a terminal, never into a
// file or a CI log unless asked for (docs/cli.md).

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f.Fd())
}

// colorFor reports whether to colour what goes to w: a terminal, NO_COLOR
// unset or empty (https://no-color.org), and a terminal that is not "dumb".
func colorFor(w io.Writer) bool {
	return terminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// ANSI SGR sequences.
const (
	sgrRed    = "\x1b[1;31m"
	sgrYellow = "\x1b[33m"
	sgrCyan   = "\x1b[36m"
	sgrGreen  = "\x1b[32m"
	sgrReset  = "\x1b[0m"
)

// paint wraps s in an SGR sequence when colour is on for stderr.
func (c *cli) paint(sgr, s string) string {
	if !c.color {
		return s
	}
	return sgr + s + sgrReset
}

// severityColors colour a diagnostic's severity word.
var severityColors = map[string]string{"error": sgrRed, "warning": sgrYellow, "note": sgrCyan}

// diagLine is a diagnostic's text line, its severity coloured when colour is
// on. The rest of the line is the diagnostic's own escaped text.
func (c *cli) diagLine(d diag.Diagnostic) string {
	s := d.String()
	if !c.color {
		return s
	}
	sev := d.Severity.String()
	prefix := sev + ": "
	if d.Pos.IsValid() {
		prefix = diag.Escape(d.Pos.String()) + ": " + prefix
	}
	if !strings.HasPrefix(s, prefix) {
		return s
	}
	return s[:len(prefix)-len(sev)-2] + c.paint(severityColors[sev], sev) + s[len(prefix)-2:]
}

// progressMode says whether a build reports progress.
type progressMode int

const (
	progressAuto  progressMode = iota // on a terminal only
	progressOn                        // --progress: also into a log, a line a second
	progressQuiet                     // -q
)

// progress prints a build's progress on stderr until stop is called: on a
// terminal one line rewritten in place five times a second, elsewhere (with
// --progress) a line a second.
func (c *cli) progress(p *bundle.Progress, mode progressMode) (stop func()) {
	tty := terminal(c.stderr)
	if mode == progressQuiet || mode == progressAuto && !tty {
		return func() {}
	}
	every := time.Second
	if tty {
		every = 200 * time.Millisecond
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	line := func() string {
		total, r, k := p.Total.Load(), p.Rendered.Load(), p.Carried.Load()
		rate := float64(r+k) / time.Since(start).Seconds()
		return fmt.Sprintf("build: %d/%d profiles (%d rendered, %d unchanged), %d files, %.0f profiles/s", r+k, total, r, k, p.Files.Load(), rate)
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprint(c.stderr, "\r\x1b[K")
				} else {
					fmt.Fprintln(c.stderr, line())
				}
				return
			case <-t.C:
				if tty {
					fmt.Fprint(c.stderr, "\r\x1b[K"+line())
				} else {
					fmt.Fprintln(c.stderr, line())
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
