// Package pol writes a profile's registry plan as a Group Policy Registry.pol
// file (PReg version 1), for <GPO>\Machine\Registry.pol or the local policy.
package pol

import (
	_ "embed"
	"encoding/binary"
	"unicode/utf16"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// Path is where the file lands in a profile's folder.
const Path = "windows/Registry.pol"

// Signature and Version open every PReg file (docs/formats.md §4).
const (
	Signature = "PReg"
	Version   = 1
)

// DeletePrefix names a deletion record's value: "**del." + the value's name.
const DeletePrefix = "**del."

// Emitter is the Registry.pol emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "pol" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "windows/Registry.pol: the same values as Group Policy machine policy (PReg v1)"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Windows) {
		return nil, nil
	}
	return []emitters.File{{
		Path:    Path,
		Data:    Encode(p.Plan()),
		Summary: "Group Policy machine policy file with the same values; copy to `<GPO>\\Machine\\Registry.pol`",
	}}, nil
}

// Encode renders the plan as PReg records [key;value;type;size;data], where the
// brackets and semicolons are UTF-16LE characters. A deletion
// is the record **del.<name> of type REG_SZ with a single space as data, as the
// Group Policy editors write it.
func Encode(plan regplan.Plan) []byte {
	out := []byte(Signature)
	out = binary.LittleEndian.AppendUint32(out, Version)
	for _, o := range plan.Ops {
		name, typ, data := o.Name, uint32(o.Type), []byte(nil)
		switch {
		case o.Delete:
			name, typ, data = DeletePrefix+o.Name, uint32(regplan.String), utf16z(" ")
		case o.Type == regplan.DWord:
			data = binary.LittleEndian.AppendUint32(nil, o.DWord)
		default:
			data = utf16z(o.Str)
		}
		out = append(out, '[', 0)
		out = append(out, utf16z(o.Key)...)
		out = append(out, ';', 0)
		out = append(out, utf16z(name)...)
		out = append(out, ';', 0)
		out = binary.LittleEndian.AppendUint32(out, typ)
		out = append(out, ';', 0)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
		out = append(out, ';', 0)
		out = append(out, data...)
		out = append(out, ']', 0)
	}
	return out
}

// utf16z encodes s as UTF-16LE followed by a terminating NUL.
func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		out = binary.LittleEndian.AppendUint16(out, c)
	}
	return append(out, 0, 0)
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
		name := o.Name
		if o.Delete {
			name = DeletePrefix + o.Name
		}
		out = append(out, emitters.Location{Setting: o.Setting, File: Path, Kind: "pol", Where: o.Key + ";" + name, Value: o.Written(), Deletes: o.Delete})
	}
	return out
}
