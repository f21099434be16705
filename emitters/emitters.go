// Package emitters defines what an artifact emitter is: a pure function from a
// resolved profile to files. Emitters do no I/O, read no clock and draw no random
// numbers; the bundle package writes what they return.
package emitters

import (
	"fmt"
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
	signer  Signer
	plan    func() regplan.Plan
	scripts func() (psscripts.Scripts, error)
}

// Signer Authenticode-signs a generated PowerShell script: it returns the
// script with its signature block appended. It must be deterministic (the same
// bytes in, the same bytes out) unless the user asked for a timestamp, and safe
// for concurrent use: profiles are built in parallel.
type Signer interface {
	SignScript(name string, script []byte) ([]byte, error)
}

// Option configures NewProfile.
type Option func(*Profile)

// WithSigner makes every PowerShell script of the profile signed with s: the
// shared scripts once, in Scripts, and the scripts emitters render themselves
// through Sign. A nil s leaves scripts unsigned.
func WithSigner(s Signer) Option { return func(p *Profile) { p.signer = s } }

// NewProfile wraps a resolved profile for the emitters. It is cheap: nothing
// is rendered until asked for.
func NewProfile(p *model.Profile, opts ...Option) *Profile {
	r := &Profile{Profile: p}
	for _, o := range opts {
		o(r)
	}
	r.plan = sync.OnceValue(func() regplan.Plan { return regplan.For(p) })
	r.scripts = sync.OnceValues(func() (psscripts.Scripts, error) {
		s := psscripts.Render(p, r.Plan())
		var err error
		for _, f := range []struct {
			name string
			data *[]byte
		}{{"Set-MdeProxy.ps1", &s.Set}, {"Test-MdeProxy.ps1", &s.Test}, {"Detect-MdeProxy-ConfigMgr.ps1", &s.Detect}} {
			if *f.data, err = r.Sign(f.name, *f.data); err != nil {
				return psscripts.Scripts{}, err
			}
		}
		return s, nil
	})
	return r
}

// Plan is the profile's registry plan, which every Windows artifact renders.
func (p *Profile) Plan() regplan.Plan { return p.plan() }

// Scripts are the profile's PowerShell scripts, shipped as files and inside the
// Intune bodies and the ConfigMgr application: rendered, and signed when the
// build signs, once per profile, so every copy carries the same bytes.
func (p *Profile) Scripts() (psscripts.Scripts, error) { return p.scripts() }

// Signed reports whether the profile's scripts are signed (the Intune bodies
// then ask Intune to enforce the signature check).
func (p *Profile) Signed() bool { return p.signer != nil }

// Sign signs a script an emitter renders itself (name is its file name, for
// errors); without a signer it returns script unchanged.
func (p *Profile) Sign(name string, script []byte) ([]byte, error) {
	if p.signer == nil {
		return script, nil
	}
	signed, err := p.signer.SignScript(name, script)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", name, err)
	}
	return signed, nil
}

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
	// arrays), "ps" ($Variable, $Variable[i], $Variable.Key or $Plan[i].Value) or "text" (a literal in the file).
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
	// order, in parts rendered when asked for (FleetFiles); paths are
	// slash-separated and relative to the bundle's root.
	EmitFleet(ps []*model.Profile) (FleetFiles, error)
}

// FleetFiles is a FleetEmitter's files in Parts parts (one proxy's folder,
// one PAC file), each rendered when Part is called: at 100,000 profiles the
// proxy/ folder is over a gigabyte, which a build renders and writes a part
// at a time, on every core, rather than holding it whole. The files are
// Part(0)'s, then Part(1)'s, and so on; Part may be called from several
// goroutines at once.
type FleetFiles struct {
	Parts int
	Part  func(i int) []File
}

// Files renders every part and returns their files in order, for a caller
// that holds them all anyway (diff, tests).
func (ff FleetFiles) Files() []File {
	var files []File
	for i := range ff.Parts {
		files = append(files, ff.Part(i)...)
	}
	return files
}
