package lint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/internal/jsonstr"
	"github.com/mdeproxyc/mdeproxyc/internal/version"
)

// Formats are the output formats of vet.
var Formats = []string{"text", "json", "sarif", "github"}

// Write renders diagnostics in a format: text (compiler style, one a line),
// json (an array), sarif (SARIF 2.1.0 for code scanning) or github (workflow
// annotation commands).
func Write(w io.Writer, format string, l diag.List) error {
	return WriteRooted(w, format, l, "")
}

// Ruled is l with MDE000 (RuleIntent) on every error that no other rule
// names, as vet and build print it: every error carries a rule.
func Ruled(l diag.List) diag.List {
	l = slices.Clone(l)
	for i := range l {
		if l[i].Rule == "" && l[i].Severity == diag.Error {
			l[i].Rule = RuleIntent
		}
	}
	return l
}

// WriteRooted is Write for diagnostics whose files are relative to root (the
// repository's top, or the working directory outside Git): SARIF then names
// files relative to %SRCROOT% and records root as its base, so code scanning
// places findings wherever vet ran. Every error carries a rule in every
// format: one that no vet rule names is MDE000.
func WriteRooted(w io.Writer, format string, l diag.List, root string) error {
	l = Ruled(l)
	switch format {
	case "text":
		l.Print(w)
		return nil
	case "json":
		return writeJSON(w, l)
	case "sarif":
		return writeSARIF(w, l, root)
	case "github":
		for _, d := range l {
			fmt.Fprintln(w, githubLine(d))
		}
		return nil
	}
	return fmt.Errorf("unknown format %q; formats are: %s", format, strings.Join(Formats, ", "))
}

// JSONFinding is one element of vet's JSON output.
type JSONFinding struct {
	Rule     string `json:"rule,omitempty"`
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

// writeJSON writes the findings as a JSON array, two-space indented: the
// bytes encoding/json's Encoder writes with SetIndent("", "  ") and
// SetEscapeHTML(false) (TestJSONMatchesEncodingJSON), written a finding at a
// time. The Encoder indents by scanning its whole output again and grows one
// buffer for all of it: a fifth of vet's time at 10,000 profiles.
func writeJSON(w io.Writer, l diag.List) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if len(l) == 0 {
		bw.WriteString("[]\n")
		return bw.Flush()
	}
	b := make([]byte, 0, 1024)
	bw.WriteString("[\n")
	for i, d := range l {
		f := JSONFinding{Rule: d.Rule, Severity: d.Severity.String(), File: filepath.ToSlash(d.Pos.File), Line: d.Pos.Line, Column: d.Pos.Col, Path: d.Path, Message: d.Msg}
		b = append(b[:0], "  {"...)
		sep := "\n    "
		field := func(name string) {
			b = append(b, sep...)
			sep = ",\n    "
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, `": `...)
		}
		if f.Rule != "" {
			field("rule")
			b = appendString(b, f.Rule)
		}
		field("severity")
		b = appendString(b, f.Severity)
		if f.File != "" {
			field("file")
			b = appendString(b, f.File)
		}
		if f.Line != 0 {
			field("line")
			b = strconv.AppendInt(b, int64(f.Line), 10)
		}
		if f.Column != 0 {
			field("column")
			b = strconv.AppendInt(b, int64(f.Column), 10)
		}
		if f.Path != "" {
			field("path")
			b = appendString(b, f.Path)
		}
		field("message")
		b = appendString(b, f.Message)
		b = append(b, "\n  }"...)
		if i < len(l)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// appendString appends s as a JSON string the way an Encoder with
// SetEscapeHTML(false) writes it.
func appendString(b []byte, s string) []byte { return jsonstr.Append(b, s, false) }

func sarifLevel(s diag.Severity) string {
	switch s {
	case diag.Error:
		return "error"
	case diag.Warning:
		return "warning"
	}
	return "note"
}

// The SARIF 2.1.0 subset vet writes. go-sarif v3 was tried first: it writes
// -1 sentinels for every unset index and offset, which Microsoft's SARIF
// Multitool flags (SARIF2004); these few types write only what is set.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult            `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string      `json:"id"`
	Name                 string      `json:"name"`
	ShortDescription     sarifText   `json:"shortDescription"`
	FullDescription      sarifText   `json:"fullDescription"`
	Help                 sarifText   `json:"help"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// intentErrorRule stands for compile errors that belong to no vet rule.
func writeSARIF(w io.Writer, l diag.List, root string) error {
	rules := Rules
	index := map[string]int{}
	driver := sarifDriver{Name: "mdeproxyc", Version: version.Version, InformationURI: "https://github.com/mdeproxyc/mdeproxyc"}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: ruleName(r), ShortDescription: sarifText{r.Title}, FullDescription: sarifText{r.Explain},
			Help: sarifText{r.Explain}, DefaultConfiguration: sarifConfig{sarifLevel(r.Severity)},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	if root != "" {
		// A folder URI ends in "/", so relative references resolve inside it.
		base := (&url.URL{Scheme: "file", Path: strings.TrimSuffix(filepath.ToSlash(root), "/") + "/"}).String()
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: base}}
	}
	for _, d := range l {
		id := d.Rule
		msg := d.Msg
		if d.Path != "" {
			msg = d.Path + ": " + msg
		}
		res := sarifResult{RuleID: id, RuleIndex: index[id], Level: sarifLevel(d.Severity), Message: sarifText{msg}}
		if d.Pos.IsValid() {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: artifact(d.Pos.File, root),
				Region:           sarifRegion{StartLine: d.Pos.Line, StartColumn: d.Pos.Col},
			}}}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// srcRoot is the SARIF base ID of the repository root, the one GitHub code
// scanning knows.
const srcRoot = "%SRCROOT%"

// artifact locates a file relative to root when there is one.
func artifact(path, root string) sarifArtifact {
	if root != "" && !filepath.IsAbs(path) {
		return sarifArtifact{URI: sarifURI(path), URIBaseID: srcRoot}
	}
	return sarifArtifact{URI: sarifURI(path)}
}

// sarifURI writes a file as a SARIF artifact URI: a relative reference for a
// relative path (code scanning resolves it against the checkout), a file: URI
// for an absolute one.
func sarifURI(path string) string {
	if filepath.IsAbs(path) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	}
	return (&url.URL{Path: filepath.ToSlash(path)}).String()
}

// ruleName turns a title into the PascalCase name SARIF viewers show.
func ruleName(r *Rule) string {
	var b strings.Builder
	for _, f := range strings.FieldsFunc(r.Title, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	}) {
		b.WriteString(strings.ToUpper(f[:1]) + f[1:])
	}
	return b.String()
}

// githubLine renders a workflow command (::error file=…,line=…::message) that
// GitHub Actions shows as an annotation on the line.
func githubLine(d diag.Diagnostic) string {
	cmd := map[diag.Severity]string{diag.Error: "error", diag.Warning: "warning", diag.Info: "notice"}[d.Severity]
	var props []string
	if d.Pos.IsValid() {
		props = append(props, "file="+ghProp(filepath.ToSlash(d.Pos.File)), fmt.Sprintf("line=%d", d.Pos.Line), fmt.Sprintf("col=%d", d.Pos.Col))
	}
	if d.Rule != "" {
		props = append(props, "title="+ghProp(d.Rule))
	}
	msg := d.Msg
	if d.Path != "" {
		msg = d.Path + ": " + msg
	}
	line := "::" + cmd
	if len(props) > 0 {
		line += " " + strings.Join(props, ",")
	}
	return line + "::" + ghData(msg)
}

func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
