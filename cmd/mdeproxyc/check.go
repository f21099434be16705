package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/semdiff"
)

// check is build --check: the summary of what changes, per profile and
// setting, in semdiff's text format, then the file diff.
func (c *cli) check(out string, ps []*model.Profile, list []emitters.Emitter, rebuild string) int {
	r, err := bundle.CheckReport(out, ps, list, decoders...)
	if err != nil {
		c.errorf("check: %v", err)
		return exitFail
	}
	if len(r.Diff) == 0 {
		fmt.Fprintf(c.stderr, "%s is up to date (%s)\n", out, count(len(ps), "profile"))
		return exitOK
	}
	semdiff.Write(c.stdout, "text", summaryOf(r))
	fmt.Fprintln(c.stdout)
	c.stdout.Write(r.Diff)
	c.errorf("%s differs from the intent: %s and commit the result", out, rebuild)
	return exitFail
}

// summaryOf turns the check's per-profile report into semdiff's changes: the
// settings are the profile README's rows, named by their labels, values shown
// without the README's code marks.
func summaryOf(r *bundle.Report) []semdiff.Profile {
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

// intuneDecoder shows an Intune Graph body with each base64 script decoded in
// place, a script line a diff line, so that --check names the changed line
// rather than a 20,000-character base64 line.
type intuneDecoder struct{}

// intuneScriptMembers are the Graph body members that carry a script, base64
// (docs/formats.md, Intune).
var intuneScriptMembers = []string{`"scriptContent": "`, `"detectionScriptContent": "`, `"remediationScriptContent": "`}

// Readable implements bundle.Decoder.
func (intuneDecoder) Readable(path string, data []byte) (string, string, bool) {
	if !strings.Contains(path, "/intune/") || !strings.HasSuffix(path, ".json") {
		return "", "", false
	}
	var b strings.Builder
	decodedAny := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		member := ""
		for _, m := range intuneScriptMembers {
			if strings.HasPrefix(trimmed, m) {
				member = m
			}
		}
		if member == "" {
			b.WriteString(line)
			continue
		}
		value := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(trimmed[len(member):], "\n"), ","), `"`)
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
	return b.String(), "(Intune body shown with its base64 scripts decoded, a script line a line)", true
}

// configMgrDecoder shows New-MdeProxyApplication.ps1 with the detection script
// it carries (base64, so the deployment type gets its exact bytes) decoded in
// place, a script line a diff line.
type configMgrDecoder struct{}

// configMgrScriptVar is the assignment that carries the detection script
// (emitters/configmgr).
const configMgrScriptVar = "$DetectionScriptBase64 = '"

// Readable implements bundle.Decoder.
func (configMgrDecoder) Readable(path string, data []byte) (string, string, bool) {
	if !strings.HasSuffix(path, "/configmgr/New-MdeProxyApplication.ps1") {
		return "", "", false
	}
	var b strings.Builder
	decoded := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, configMgrScriptVar)
		if !ok {
			b.WriteString(line)
			continue
		}
		value := strings.TrimSuffix(strings.TrimRight(rest, "\r\n"), "'")
		script, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", "", false
		}
		script = bytes.TrimPrefix(script, []byte("\xef\xbb\xbf"))
		fmt.Fprintf(&b, "%s(base64 of %d bytes, decoded below)\n", configMgrScriptVar[:len(configMgrScriptVar)-4], len(script))
		for _, l := range strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(script), "\r\n", "\n"), "\n"), "\n") {
			fmt.Fprintf(&b, "  | %s\n", l)
		}
		decoded = true
	}
	if !decoded {
		return "", "", false
	}
	return b.String(), "(ConfigMgr script shown with its detection script decoded, a script line a line)", true
}
