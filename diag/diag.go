// Package diag holds the diagnostics that compile and vet report: one type, one
// order and one printed form, so every message names file:line:col, the setting's
// path, what was wrong and what is allowed, in the same shape everywhere.
package diag

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// Severity orders diagnostics from blocking to informational.
type Severity int

// The severities, most severe first.
const (
	Error Severity = iota
	Warning
	Info
)

// String is the word printed for the severity, the same in every format of
// ours (text, json, the summary line). SARIF's levels are error, warning and
// note too; GitHub's workflow commands have no "note" and show it as notice.
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "note"
	}
}

// Vet rule IDs of the checks compile makes itself. They are part of the
// grammar, so lint.ignore cannot silence them; vet's reference lists them, and
// compile's diagnostics carry them as data.
const (
	RuleScheme              = "MDE002"
	RuleAuthenticatedProxy  = "MDE005"
	RuleDuplicateIdentifier = "MDE015"
)

// Diagnostic is one finding about the user's intent.
type Diagnostic struct {
	Pos      model.Pos
	Path     string // setting path, e.g. profiles.berlin.proxy; may be empty
	Severity Severity
	Rule     string // vet rule ID (MDE001…); empty for compile errors
	Msg      string
}

// String formats the diagnostic on one line, compiler style. Control and
// format characters in any part of it (a label holding a newline, say) are
// written as Go escapes, so no diagnostic can end a line in a CI log (and
// start a workflow command such as ::warning::) or drive a terminal.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Pos.IsValid() {
		b.WriteString(Escape(d.Pos.String()))
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Rule != "" {
		b.WriteString(d.Rule)
		b.WriteString(": ")
	}
	if d.Path != "" {
		b.WriteString(Escape(d.Path))
		b.WriteString(": ")
	}
	b.WriteString(Escape(d.Msg))
	return b.String()
}

// Escape returns s with every character that is not printable (but the
// space) written as its Go escape: "\n", "\x1b", "\u202e".
func Escape(s string) string {
	if !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unprintable(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func unprintable(r rune) bool { return !strconv.IsPrint(r) }

// List is a set of diagnostics; it is an error when it holds at least one.
type List []Diagnostic

// Error joins the diagnostics, one a line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Count returns how many diagnostics have the severity.
func (l List) Count(s Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders diagnostics by file, line, column, path and message, and drops exact
// duplicates, so output is stable whatever order the checks ran in.
func (l List) Sort() List {
	slices.SortFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.Compact(l)
}

// Relative rewrites every position's file relative to dir where that is shorter
// and does not climb out of it, so messages read the way the user typed paths.
func (l List) Relative(dir string) List {
	for i := range l {
		l[i].Pos.File = RelPath(dir, l[i].Pos.File)
	}
	return l
}

// RelPath returns file relative to dir when file lies below dir, else file itself.
func RelPath(dir, file string) string {
	if file == "" || dir == "" || !filepath.IsAbs(file) {
		return file
	}
	rel, err := filepath.Rel(dir, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return file
	}
	return rel
}

// Print writes every diagnostic on its own line.
func (l List) Print(w io.Writer) {
	for _, d := range l {
		fmt.Fprintln(w, d.String())
	}
}
