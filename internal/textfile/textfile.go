// Package textfile turns script and document sources embedded in the binary
// into what the emitters write. A script source is a whole file in its own
// language, readable and diffable in the repository, with one marker line where
// the generated data block goes; a deployment text is a text/template.
//
// The fixed parts are split and converted to their line ends once, when the
// program starts: a 100,000-profile fleet renders each script once per profile,
// and only the data block is new each time.
package textfile

import (
	"fmt"
	"strings"
	"text/template"
)

// EOL is a line end a rendered file uses.
type EOL string

// The two line ends of the artifacts.
const (
	LF   EOL = "\n"
	CRLF EOL = "\r\n"
)

// Convert normalises s to LF (a checkout with core.autocrlf may hand CRLF
// sources to go:embed) and then to eol.
func Convert(s string, eol EOL) []byte {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if eol == CRLF {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return []byte(s)
}

// UTF8BOM starts scripts whose data may hold non-ASCII text (names and
// descriptions from the intent): Windows PowerShell 5.1 reads a script without
// a byte order mark in the ANSI code page (docs/channels.md).
const UTF8BOM = "\xEF\xBB\xBF"

// Spliced is a script source split at its marker line, both parts already in
// the artifact's line ends.
type Spliced struct {
	head, tail []byte
	eol        EOL
}

// MustSplit splits the embedded source of file at the line that is exactly
// marker. The marker must occur exactly once: a source without it (or with two)
// is a programming error, caught when the program starts.
func MustSplit(file, source, marker string, eol EOL) Spliced {
	src := strings.ReplaceAll(source, "\r\n", "\n")
	at := -1
	for off := 0; off < len(src); {
		n := strings.IndexByte(src[off:], '\n')
		if n < 0 {
			n = len(src) - off
		}
		if src[off:off+n] == marker {
			if at >= 0 {
				at = -2
				break
			}
			at = off
		}
		off += n + 1
	}
	if at < 0 {
		panic(fmt.Sprintf("textfile: %s must hold the marker line %q exactly once", file, marker))
	}
	tail := ""
	if end := at + len(marker) + 1; end < len(src) {
		tail = src[end:]
	}
	return Spliced{head: Convert(src[:at], eol), tail: Convert(tail, eol), eol: eol}
}

// Render returns the script with block, already in the script's line ends
// and ending with one, in place of the marker line.
func (s Spliced) Render(block []byte) []byte {
	out := make([]byte, 0, len(s.head)+len(block)+len(s.tail))
	return append(append(append(out, s.head...), block...), s.tail...)
}

// RenderText is Render for a block written with LF line ends.
func (s Spliced) RenderText(block string) []byte { return s.Render(Convert(block, s.eol)) }

// MustTemplate parses an embedded text/template; a template that does not
// parse is a programming error, caught when the program starts. Missing keys
// are errors, so a renamed field cannot silently print "<no value>".
func MustTemplate(file, source string) *template.Template {
	return template.Must(template.New(file).Option("missingkey=error").Parse(strings.ReplaceAll(source, "\r\n", "\n")))
}

// Execute runs a deployment template. The data is the emitter's own, built
// from a resolved profile, so a failure is a programming error and panics
// with the template's name.
func Execute(t *template.Template, data any) string {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("textfile: %s: %v", t.Name(), err))
	}
	return b.String()
}
