// Package emitters defines what an artifact emitter is: a pure function from a
// resolved profile to files. Emitters do no I/O, read no clock and draw no random
// numbers; the bundle package writes what they return.
package emitters

import "github.com/mdeproxyc/mdeproxyc/model"

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
	Emit(p *model.Profile) ([]File, error)
}

// Summarizer is an emitter that describes the other emitters' files (the
// profile's README): it runs after them and is given what they produced.
type Summarizer interface {
	Emitter
	Summarize(p *model.Profile, files []File, deploy []string) (File, error)
}

// Deployer is implemented by emitters that add a "how to deploy" section to the
// profile's README; the section is Markdown starting with a level-3 heading.
type Deployer interface {
	Deploy(p *model.Profile) string
}

// Location says where, in one of a profile's files, a setting's value lands:
// for `mdeproxyc explain` and for reviewers asking which artifact carries what.
type Location struct {
	// Setting is the intent path ("windows.edr.proxy").
	Setting string `json:"setting"`
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
	Locate(p *model.Profile) []Location
}
