package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle/drift"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/semdiff"
)

// check is build --check: the summary of what changes, per profile and
// setting, in semdiff's text format, then the file diff.
func (c *cli) check(out string, ps []*model.Profile, list []emitters.Emitter, rebuild string) error {
	r, err := drift.CheckReport(out, ps, list, decoders...)
	if err != nil {
		return fmt.Errorf("check: %v", err)
	}
	if len(r.Diff) == 0 {
		fmt.Fprintf(c.stderr, "%s is up to date (%s)\n", out, count(len(ps), "profile"))
		return nil
	}
	semdiff.Write(c.stdout, "text", summaryOf(r))
	fmt.Fprintln(c.stdout)
	c.stdout.Write(r.Diff)
	return fmt.Errorf("%s differs from the intent: %s and commit the result", out, rebuild)
}

// summaryOf turns the check's per-profile report into semdiff's changes: the
// settings are the profile README's rows, named by their labels, values shown
// without the README's code marks.
func summaryOf(r *drift.Report) []semdiff.Profile {
	out := make([]semdiff.Profile, 0, len(r.Profiles))
	for _, p := range r.Profiles {
		sp := semdiff.Profile{Profile: p.Name, Change: p.Change, Settings: []semdiff.Setting{}, Files: []semdiff.File{}}
		for _, s := range p.Settings {
			sp.Settings = append(sp.Settings, semdiff.Setting{Path: s.Label, Old: uncode(s.Old), New: uncode(s.New)})
		}
		for _, f := range p.Files {
			sp.Files = append(sp.Files, semdiff.File{Path: f.Path, Change: f.Change})
		}
		out = append(out, sp)
	}
	return out
}

// uncode drops the backticks of a README cell's code spans ("`a`, `b`").
func uncode(cell string) string {
	return strings.ReplaceAll(cell, "`", "")
}

// scriptDecoder shows a file that carries whole scripts as base64 (the Intune
// Graph bodies; the ConfigMgr script, which carries the detection script so
// the deployment type gets its exact bytes) with each script decoded in
// place, a script line a diff line, so that --check names the changed line
// rather than a 20,000-character base64 line.
type scriptDecoder struct {
	// files says which bundle paths carry scripts.
	files func(path string) bool
	// members are the starts of the lines holding a script, up to and with
	// the quote that opens the base64 (leading spaces aside).
	members []string
	note    string
}

// Readable implements drift.Decoder.
func (d scriptDecoder) Readable(path string, data []byte) (string, string, bool) {
	if !d.files(path) {
		return "", "", false
	}
	var b strings.Builder
	decodedAny := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		member := ""
		for _, m := range d.members {
			if strings.HasPrefix(trimmed, m) {
				member = m
			}
		}
		if member == "" {
			b.WriteString(line)
			continue
		}
		quote := member[len(member)-1:]
		value := strings.TrimSuffix(strings.TrimSuffix(strings.TrimRight(trimmed[len(member):], "\r\n"), ","), quote)
		script, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", "", false
		}
		script = bytes.TrimPrefix(script, []byte("\xef\xbb\xbf"))
		indent := line[:len(line)-len(trimmed)]
		fmt.Fprintf(&b, "%s%s(base64 of %d bytes, decoded below)\n", indent, member[:len(member)-1], len(script))
		for _, l := range strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(script), "\r\n", "\n"), "\n"), "\n") {
			fmt.Fprintf(&b, "%s  | %s\n", indent, l)
		}
		decodedAny = true
	}
	if !decodedAny {
		return "", "", false
	}
	return b.String(), d.note, true
}

// intuneDecoder decodes the Graph body members that carry a script, base64
// (docs/formats.md, Intune).
var intuneDecoder = scriptDecoder{
	files: func(path string) bool {
		return strings.Contains(path, "/intune/") && strings.HasSuffix(path, ".json")
	},
	members: []string{`"scriptContent": "`, `"detectionScriptContent": "`, `"remediationScriptContent": "`},
	note:    "(Intune body shown with its base64 scripts decoded, a script line a line)",
}

// configMgrDecoder decodes the detection script New-MdeProxyApplication.ps1
// carries (emitters/configmgr).
var configMgrDecoder = scriptDecoder{
	files: func(path string) bool {
		return strings.HasSuffix(path, "/configmgr/New-MdeProxyApplication.ps1")
	},
	members: []string{"$DetectionScriptBase64 = '"},
	note:    "(ConfigMgr script shown with its detection script decoded, a script line a line)",
}

// decoders show the binary formats of a bundle as text in --check's diffs.
var decoders = []drift.Decoder{polDecoder{}, intuneDecoder, configMgrDecoder}

// polDecoder shows a Registry.pol one record a line.
type polDecoder struct{}

// Readable implements drift.Decoder.
func (polDecoder) Readable(path string, data []byte) (string, string, bool) {
	if !strings.HasSuffix(path, ".pol") {
		return "", "", false
	}
	t, err := pol.Text(data)
	return t, "(Registry.pol shown decoded, one record a line)", err == nil
}
