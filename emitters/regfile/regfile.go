// Package regfile writes a profile's registry plan as .reg files for
// regedit / `reg import`: mde-proxy.reg applies it, mde-proxy-undo.reg removes
// exactly the values it sets.
package regfile

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// The files this emitter writes, relative to a profile's folder.
const (
	ApplyPath = "windows/mde-proxy.reg"
	UndoPath  = "windows/mde-proxy-undo.reg"
)

// Header is the first line regedit requires, exactly (docs/formats.md §3).
const Header = "Windows Registry Editor Version 5.00"

// Emitter is the .reg emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "reg" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "windows/mde-proxy.reg and mde-proxy-undo.reg: the registry policy values, for reg import"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Windows) {
		return nil, nil
	}
	plan := p.Plan()
	return []emitters.File{
		{Path: ApplyPath, Data: Apply(p.Name, plan), Summary: "Registry file that sets (and, where the intent says so, removes) the proxy policy values; `reg import` as administrator"},
		{Path: UndoPath, Data: Undo(p.Name, plan), Summary: "Registry file that removes exactly the values mde-proxy.reg sets"},
	}, nil
}

// Apply renders the whole plan: sets and deletions.
func Apply(profile string, plan regplan.Plan) []byte {
	return render(fmt.Sprintf("mdeproxyc: Defender for Endpoint proxy policy for profile %s. Generated file: do not edit; change the intent and rebuild.", profile), plan.Ops, false)
}

// Undo renders a deletion of every value the plan sets, and nothing else: other
// policies live under the same keys, so no key is ever deleted.
func Undo(profile string, plan regplan.Plan) []byte {
	return render(fmt.Sprintf("mdeproxyc: removes the values mde-proxy.reg sets for profile %s. Generated file: do not edit.", profile), plan.Sets(), true)
}

// render writes the text with CRLF line ends and encodes it as UTF-16LE with a
// byte-order mark, as regedit writes and reads it.
func render(comment string, ops []regplan.Op, deleteAll bool) []byte {
	var b strings.Builder
	line := func(s string) {
		b.WriteString(s)
		b.WriteString("\r\n")
	}
	line(Header)
	line("")
	line("; " + comment)
	line("")
	key := ""
	for _, o := range ops {
		if o.Key != key {
			if key != "" {
				// A blank line after every key block: strict parsers reject a
				// [key] right after a value line.
				line("")
			}
			key = o.Key
			line("[" + regplan.Hive + `\` + key + "]")
		}
		switch {
		case o.Delete || deleteAll:
			line(quote(o.Name) + "=-")
		case o.Type == regplan.DWord:
			line(fmt.Sprintf("%s=dword:%08x", quote(o.Name), o.DWord))
		default:
			line(quote(o.Name) + "=" + quote(o.Str))
		}
	}
	if key != "" {
		line("")
	}
	return encodeUTF16LE(b.String())
}

// quote writes a .reg string: backslash and double quote are escaped, nothing
// else is (docs/formats.md §3).
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// encodeUTF16LE encodes s as UTF-16LE after a byte-order mark.
func encodeUTF16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2, 2+2*len(u))
	out[0], out[1] = 0xFF, 0xFE
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

// deployText is the profile README's section for this emitter: deploy.md
// beside this file, a text/template.
var deployText = textfile.MustTemplate("deploy.md", deploySource)

//go:embed deploy.md
var deploySource string

// Deploy implements emitters.Deployer.
func (Emitter) Deploy(p *emitters.Profile) string {
	return textfile.Execute(deployText, p)
}

// Locate implements emitters.Locator.
func (Emitter) Locate(p *emitters.Profile) []emitters.Location {
	if !p.Targets(model.Windows) {
		return nil
	}
	var out []emitters.Location
	for _, o := range p.Plan().Ops {
		out = append(out, emitters.Location{Setting: o.Setting, File: ApplyPath, Kind: "reg",
			Where: "[" + regplan.Hive + `\` + o.Key + "] " + quote(o.Name), Value: o.Written(), Deletes: o.Delete})
	}
	return out
}
