package compile

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing/fstest"
	"unicode/utf8"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// encodingProblem recognises files that are not UTF-8 text, which CUE would
// reject with "illegal UTF-8 encoding" at some later byte. Windows PowerShell 5.1
// writes UTF-16 (little-endian, with a byte-order mark) by default with `>` and
// Out-File, so that is the likely cause.
func encodingProblem(data []byte) string {
	const fix = "; save the file as UTF-8"
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return "the file is encoded as UTF-32 (little-endian)" + fix
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return "the file is encoded as UTF-32 (big-endian)" + fix
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return "the file is encoded as UTF-16 (little-endian, as Windows PowerShell 5.1 writes with > or Out-File)" + fix
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return "the file is encoded as UTF-16 (big-endian)" + fix
	}
	// Without a byte-order mark, UTF-16 and UTF-32 text in ASCII has NUL bytes
	// between the letters; CUE text never holds a NUL.
	head := data[:min(len(data), 64)]
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return "the file holds NUL bytes (UTF-16 or UTF-32 text?)" + fix
	}
	return ""
}

// parseDiags converts load errors (syntax errors, mostly) into diagnostics.
func parseDiags(err error, fsys fstest.MapFS, abs string) diag.List {
	out := fromCUE(err, "", nil)
	text := func(file string) []byte {
		rel, err := filepath.Rel(abs, file)
		if err != nil {
			return nil
		}
		if f := fsys[filepath.ToSlash(rel)]; f != nil {
			return f.Data
		}
		return nil
	}
	addHints(out, text)
	for i := range out {
		if !out[i].Pos.IsValid() {
			out[i].Pos = model.Pos{File: abs}
		}
	}
	return out
}

var (
	// name = value, where CUE wants name: value.
	equalsRE = regexp.MustCompile(`^\s*[A-Za-z_$#"][\w$#".-]*\s*=\s*[^=~\s]`)
	yamlRE   = regexp.MustCompile(`^\s*- `)
)

// addHints appends a hint to diagnostics on lines that show a common mistake:
// a # comment, name = value, a YAML list, a single-quoted string (bytes).
// text returns a file's content.
func addHints(diags diag.List, text func(file string) []byte) {
	for i := range diags {
		d := &diags[i]
		if d.Pos.Line == 0 {
			continue
		}
		src := text(d.Pos.File)
		if src == nil {
			continue
		}
		line, prev := lineAt(src, d.Pos.Line)
		if h := hintFor(line, prev, d.Msg); h != "" && !strings.Contains(d.Msg, h) {
			d.Msg += " (" + h + ")"
		}
	}
}

func hintFor(line, prev, msg string) string {
	trimmed := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(trimmed, "#") && (len(trimmed) == 1 || strings.ContainsRune(" \t#!", rune(trimmed[1]))):
		return "CUE comments start with //, not #"
	case yamlRE.MatchString(line):
		return `a YAML-style list? In CUE write a list as ["a", "b"]`
	case equalsRE.MatchString(line):
		return "fields are written name: value in CUE, not name = value"
	case strings.Contains(msg, "expected") && equalsRE.MatchString(prev):
		return "fields are written name: value in CUE, not name = value (line above)"
	case strings.Contains(line, "'") && strings.Contains(msg, "bytes"):
		return `'…' is bytes in CUE; use "…" for a string`
	}
	return ""
}

// lineAt returns line n (1-based) of src and the nearest non-blank line before it.
func lineAt(src []byte, n int) (line, prev string) {
	lines := strings.Split(string(src), "\n")
	if n < 1 || n > len(lines) {
		return "", ""
	}
	for j := n - 2; j >= 0; j-- {
		if strings.TrimSpace(lines[j]) != "" {
			prev = lines[j]
			break
		}
	}
	return lines[n-1], prev
}

// maxShown is how many characters of a value a message shows.
const maxShown = 60

// clipValues shortens every quoted value in msg longer than maxShown
// characters, so that a 1 MB description gives a readable error line.
func clipValues(msg string) string {
	if len(msg) <= 2*maxShown {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.IndexAny(msg, "\"'")
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		q := msg[i]
		end := closingQuote(msg, i+1, q)
		if end < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i+1])
		inner := msg[i+1 : end]
		if n := utf8.RuneCountInString(inner); n > maxShown {
			b.WriteString(clipRunes(inner, maxShown-10))
			fmt.Fprintf(&b, "…%c (%d characters)", q, n)
		} else {
			b.WriteString(inner)
			b.WriteByte(q)
		}
		msg = msg[end+1:]
	}
}

func closingQuote(s string, from int, q byte) int {
	for j := from; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// clipRunes returns the first n runes of s, not splitting an escape sequence.
func clipRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			s = s[:j]
			break
		}
		i++
	}
	// Do not end in the middle of a backslash escape.
	if k := strings.LastIndexByte(s, '\\'); k >= 0 && k >= len(s)-6 {
		s = s[:k]
	}
	return s
}

// enumSuggestion offers the allowed value closest to s for a value of a fixed
// set ("mac" → "macos", "Auto" → "auto"); allowed is a grammar's allowed text,
// the quoted values joined by " or ".
func enumSuggestion(s, allowed string) string {
	var values []string
	for _, q := range strings.Split(allowed, " or ") {
		q = strings.TrimSpace(q)
		if len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"' {
			values = append(values, q[1:len(q)-1])
		}
	}
	if s := suggest(s, values); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// positionsOf lists the positions a CUE error names, for conflicts.
func positionsOf(e cueerrors.Error) []model.Pos {
	var out []model.Pos
	for _, p := range cueerrors.Positions(e) {
		if pp := posOf(p); pp.IsValid() && !containsPos(out, pp) {
			out = append(out, pp)
		}
	}
	return out
}

func containsPos(ps []model.Pos, p model.Pos) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}
