package semdiff

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Formats are the output formats of Write.
var Formats = []string{"text", "markdown", "json"}

// Write prints the changes in one of Formats.
func Write(w io.Writer, format string, changes []Profile) error {
	switch format {
	case "json":
		if changes == nil {
			changes = []Profile{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(changes)
	case "markdown":
		writeMarkdown(w, changes)
	default:
		writeText(w, changes)
	}
	return nil
}

// Summary counts the changes in one line: "2 profiles changed, 1 added".
func Summary(changes []Profile) string {
	n := map[string]int{}
	fleet := false
	for _, c := range changes {
		if c.Profile == "" {
			fleet = true
			continue
		}
		n[c.Change]++
	}
	if len(changes) == 0 {
		return "no profile changes"
	}
	var parts []string
	for _, k := range []string{Changed, Added, Removed} {
		if n[k] > 0 {
			word := "profiles"
			if n[k] == 1 {
				word = "profile"
			}
			parts = append(parts, fmt.Sprintf("%d %s %s", n[k], word, k))
		}
	}
	if fleet {
		parts = append(parts, "fleet files changed")
	}
	return strings.Join(parts, ", ")
}

var fileMark = map[string]string{Added: "+", Removed: "-", Changed: "~"}

// writeText prints one block per profile. Values are quoted Go-style, so no
// control character or escape sequence from the intent reaches a terminal.
func writeText(w io.Writer, changes []Profile) {
	for _, c := range changes {
		if c.Profile == "" {
			fmt.Fprintln(w, "fleet files (the proxy team's proxy/ folder)")
		} else {
			fmt.Fprintf(w, "%s %s\n", c.Change, c.Profile)
		}
		for _, s := range c.Settings {
			if s.Old == s.New {
				// Only its being written changed (model.Def.Presence).
				fmt.Fprintf(w, "  %s: %s, %s\n", s.Path, strconv.Quote(s.New), presence(s))
				continue
			}
			fmt.Fprintf(w, "  %s: %s -> %s", s.Path, strconv.Quote(s.Old), strconv.Quote(s.New))
			if at := where(s); at != "" {
				fmt.Fprintf(w, "  (%s)", at)
			}
			fmt.Fprintln(w)
		}
		for _, f := range c.Files {
			fmt.Fprintf(w, "  %s %s\n", fileMark[f.Change], unquoted(f.Path))
		}
		for _, x := range c.Proxies {
			fmt.Fprintf(w, "  proxy %s: allow the added before devices move, remove the removed after\n", unquoted(x.Proxy))
			for _, d := range x.Added {
				fmt.Fprintf(w, "    + %s\n", unquoted(d))
			}
			for _, d := range x.Removed {
				fmt.Fprintf(w, "    - %s\n", unquoted(d))
			}
		}
	}
	fmt.Fprintln(w, Summary(changes))
}

// unquoted is s quoted Go-style without the quotes: no control character
// reaches a terminal.
func unquoted(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// presence says how a setting whose value stayed the same changed: it is
// written now, or no longer written (the built-in default applies).
func presence(s Setting) string {
	if s.NewAt != "" {
		return "now written (" + s.NewAt + ")"
	}
	return "no longer written (was at " + s.OldAt + ")"
}

// where names the position of the new value, else of the old one.
func where(s Setting) string {
	if s.NewAt != "" {
		return s.NewAt
	}
	return s.OldAt
}

// writeMarkdown prints a pull-request comment: one table per profile.
func writeMarkdown(w io.Writer, changes []Profile) {
	fmt.Fprintf(w, "### mdeproxyc: %s\n", Summary(changes))
	for _, c := range changes {
		if c.Profile == "" {
			fmt.Fprintf(w, "\n#### fleet files (the proxy team's `proxy/` folder)\n\n")
		} else {
			fmt.Fprintf(w, "\n#### %s `%s`\n\n", c.Change, c.Profile)
		}
		if len(c.Settings) > 0 {
			fmt.Fprintln(w, "| setting | old | new | written at |")
			fmt.Fprintln(w, "| --- | --- | --- | --- |")
			for _, s := range c.Settings {
				at := where(s)
				if s.Old == s.New {
					at = presence(s)
				}
				fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", s.Path, mdCode(s.Old), mdCode(s.New), mdText(at))
			}
			fmt.Fprintln(w)
		}
		if len(c.Proxies) > 0 {
			fmt.Fprintln(w, "Destinations per proxy (allow the added before devices move; remove the removed only after they have moved):")
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| proxy | added | removed |")
			fmt.Fprintln(w, "| --- | --- | --- |")
			for _, x := range c.Proxies {
				fmt.Fprintf(w, "| %s | %s | %s |\n", mdCode(x.Proxy), mdList(x.Added), mdList(x.Removed))
			}
			fmt.Fprintln(w)
		}
		if len(c.Files) > 0 {
			fmt.Fprintf(w, "<details><summary>%d bundle files</summary>\n\n", len(c.Files))
			for _, f := range c.Files {
				fmt.Fprintf(w, "- %s %s\n", fileMark[f.Change], mdCode(f.Path))
			}
			fmt.Fprintln(w, "\n</details>")
		}
	}
}

// mdCode shows a value as inline code that no backtick, pipe or line break in
// it can end early: a table cell stays one cell.
func mdCode(s string) string {
	if s == "" {
		return "—"
	}
	s = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.Contains(s, "`") {
		// A space keeps a backtick at either end from joining the fence.
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdList shows a list as inline code items in one table cell.
func mdList(xs []string) string {
	if len(xs) == 0 {
		return "—"
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = mdCode(x)
	}
	return strings.Join(out, "<br>")
}

// mdText escapes text for a table cell.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~&#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
