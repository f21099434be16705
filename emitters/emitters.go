// Package emitters defines what an artifact emitter is: a pure function from a
// resolved profile to files. Emitters do no I/O, read no clock and draw no random
// numbers; the bundle package writes what they return.
package emitters

import (
	"sync"

	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/psscripts"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// Profile is what an emitter renders: a resolved profile, and the renders that
// several emitters share, each computed at most once per profile and only when
// an emitter asks for it. Emitters never import each other: what two of them
// ship is rendered here.
type Profile struct {
	*model.Profile
	plan    func() regplan.Plan
	scripts func() psscripts.Scripts
}

// NewProfile wraps a resolved profile for the emitters. It is cheap: nothing
// is rendered until asked for.
func NewProfile(p *model.Profile) *Profile {
	r := &Profile{Profile: p}
	r.plan = sync.OnceValue(func() regplan.Plan { return regplan.For(p) })
	r.scripts = sync.OnceValue(func() psscripts.Scripts { return psscripts.Render(p, r.Plan()) })
	return r
}

// Plan is the profile's registry plan, which every Windows artifact renders.
func (p *Profile) Plan() regplan.Plan { return p.plan() }

// Scripts are the profile's PowerShell scripts, shipped as files and inside the
// Intune bodies.
func (p *Profile) Scripts() psscripts.Scripts { return p.scripts() }

// File is one artifact in a profile's folder of the bundle.
type File struct {
	// Path is slash-separated and relative to the profile's folder
	// ("windows/mde-proxy.reg").
	Path string
	// Data is the exact bytes to write: encodings and line ends are part of it.
	Data []byte
	// Summary says in one line what the file is, for the profile's README.
	Summary string
	// Executable marks scripts that are run directly (mode 0755).
	Executable bool
}

// Emitter produces one family of artifacts for a profile.
type Emitter interface {
	// Name is the emitter's --target name.
	Name() string
	// Summary is the one line `mdeproxyc targets` prints.
	Summary() string
	// Emit returns the family's files for p in a stable order. A profile that
	// does not target the family's platform gets no files.
	Emit(p *Profile) ([]File, error)
}

// Deployer is implemented by emitters that add a "how to deploy" section to the
// profile's README; the section is Markdown starting with a level-3 heading.
type Deployer interface {
	Deploy(p *Profile) string
}

// Location says where, in one of a profile's files, a setting's value lands:
// for `mdeproxyc explain` and for reviewers asking which artifact carries what.
type Location struct {
	// Setting is the intent path ("windows.edr.proxy").
	Setting model.Path `json:"setting"`
	// File is the path in the profile's folder.
	File string `json:"file"`
	// Kind says how Where is read: "reg" ([key] "name"), "pol" (key;name),
	// "json" (a JSON pointer), "plist" (a dotted key path, numbers index
	// arrays), "ps" ($Variable.Key or $Plan[i].Value) or "text" (a literal in the file).
	Kind  string `json:"kind"`
	Where string `json:"where"`
	// Value is the value as the file holds it ("" for a deletion).
	Value string `json:"value"`
	// Deletes is set when the file removes the value instead of setting it.
	Deletes bool `json:"deletes,omitempty"`
}

// Locator is implemented by emitters that can say where each setting lands.
type Locator interface {
	Locate(p *Profile) []Location
}

// FleetEmitter produces artifacts that belong to the whole fleet rather than
// to one profile, such as the proxy/ folder keyed by proxy host, which many
// profiles share. Like an Emitter it is a pure function of its input.
type FleetEmitter interface {
	// Name is the target the manifest records for the files.
	Name() string
	// EmitFleet returns the files for the resolved profiles in a stable
	// order; paths are slash-separated and relative to the bundle's root.
	EmitFleet(ps []*model.Profile) ([]File, error)
}
