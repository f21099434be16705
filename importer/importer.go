// Package importer turns configuration a fleet already has — .reg files,
// Registry.pol, `netsh winhttp show proxy` output, mdatp_managed.json, a
// com.microsoft.wdav plist or configuration profile, an Intune custom
// configuration — into a profile of the intent language. It reads the
// registry values by the registry plan's own vocabulary (regplan), builds the
// profile it derives, and compares what the build would write with what the
// inputs hold: whatever the intent cannot express is reported, never dropped.
package importer

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Input is one file to import.
type Input struct {
	// Name is how messages name the file (its path as given).
	Name string
	Data []byte
}

// Options tunes an import.
type Options struct {
	// Profile names the profile; empty: the name an Intune body's marker
	// line gives, else "imported".
	Profile string
}

// Result is an import's outcome.
type Result struct {
	// CUE is a complete fleet file: package clause and one profile.
	CUE []byte
	// Profile is the profile's name.
	Profile string
	// Warnings are values the intent cannot express, or input the importer
	// does not read; each is also a comment in CUE.
	Warnings []string
	// Notes say what the build does beyond what the inputs state.
	Notes []string
}

// ConflictError is two inputs that disagree about one value.
type ConflictError struct {
	What   string
	A, B   origin
	AV, BV string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the inputs disagree about %s: %s has %s, %s has %s; import them separately or fix one", e.What, e.A, e.AV, e.B, e.BV)
}

// origin names where an observation was read.
type origin struct {
	File  string
	Where string
}

func (o origin) String() string {
	if o.Where == "" {
		return o.File
	}
	return o.File + " (" + o.Where + ")"
}

// obs is one observed value: a registry value set or deleted, a proxy
// present or absent in an agent's settings, a name.
type obs struct {
	// Present is false for a deletion or a setting the file leaves out.
	Present bool
	// Value is the value as text: a string, a DWORD in decimal, a
	// REG_MULTI_SZ's entries joined with the plan's bypass separator.
	Value string
	// Type is the registry type number (1 REG_SZ, 4 REG_DWORD, 7
	// REG_MULTI_SZ); 0 for values that are not registry values.
	Type uint32
	// List holds a REG_MULTI_SZ's entries.
	List []string
	From origin
}

// show formats an observed value for messages.
func (o obs) show() string {
	if !o.Present {
		if o.Type != 0 {
			return "a deletion"
		}
		return "no value"
	}
	switch o.Type {
	case regDWord:
		return "dword " + o.Value
	case regMultiSZ:
		return "REG_MULTI_SZ " + quoteList(o.List)
	}
	return strconv.Quote(o.Value)
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Registry type numbers (winnt.h).
const (
	regSZ       = 1
	regExpandSZ = 2
	regBinary   = 3
	regDWord    = 4
	regMultiSZ  = 7
	regQWord    = 11
)

// Observation keys that are not registry values.
const (
	keyLinuxProxy     = "linux:cloudService.proxy"
	keyMacProxy       = "macos:cloudService.proxy"
	keyMacIdentifier  = "macos:PayloadIdentifier"
	keyMacDisplayName = "macos:PayloadDisplayName"
	keyMacDescription = "macos:PayloadDescription"
	keyMacOrg         = "macos:PayloadOrganization"
	keyIntuneName     = "intune:displayName"
	keyIntuneDesc     = "intune:description"
	keyIntuneProfile  = "intune:profile"
	keyWinHTTPProxy   = "winhttp:proxy"
	keyWinHTTPBypass  = "winhttp:bypass"
)

// reader collects observations from every input.
type reader struct {
	obs      map[string]obs
	order    []string
	warnings []string
	notes    []string
	// kinds records which kinds of input were read: the platforms
	// ("windows", "linux", "macos") and "intune".
	kinds map[string]bool
	err   error
}

// add records an observation; a different one under the same key from
// another file is a conflict. Within one file the later one wins, as when
// regedit or Group Policy applies the file.
func (r *reader) add(key, what string, o obs) {
	if prev, ok := r.obs[key]; ok {
		if prev.From.File != o.From.File && !sameObs(prev, o) && r.err == nil {
			r.err = &ConflictError{What: what, A: prev.From, B: o.From, AV: prev.show(), BV: o.show()}
		}
		if prev.From.File != o.From.File {
			return
		}
	} else {
		r.order = append(r.order, key)
	}
	r.obs[key] = o
}

// sameObs reports whether two observations mean the same value: a
// REG_MULTI_SZ list and a REG_SZ joined with the plan's separator do.
func sameObs(a, b obs) bool {
	if a.Present != b.Present {
		return false
	}
	if !a.Present {
		return true
	}
	num := func(t uint32) bool { return t == regDWord }
	return a.Value == b.Value && num(a.Type) == num(b.Type)
}

func (r *reader) warnf(file, format string, args ...any) {
	r.warnings = append(r.warnings, file+": "+fmt.Sprintf(format, args...))
}

// kindOf guesses an input's format from its name and first bytes.
func kindOf(in Input) string {
	name := strings.ToLower(filepath.Base(in.Name))
	d := in.Data
	switch {
	case strings.HasSuffix(name, ".reg"):
		return "reg"
	case strings.HasSuffix(name, ".pol") || len(d) >= 4 && string(d[:4]) == "PReg":
		return "pol"
	case strings.HasSuffix(name, ".plist") || strings.HasSuffix(name, ".mobileconfig"):
		return "plist"
	case strings.HasSuffix(name, ".json"):
		return "json"
	}
	text := strings.TrimSpace(string(stripBOM(d)))
	switch {
	case strings.HasPrefix(text, "Windows Registry Editor") || strings.HasPrefix(text, "REGEDIT4") || len(d) >= 2 && d[0] == 0xff && d[1] == 0xfe:
		return "reg"
	case strings.HasPrefix(text, "{"):
		return "json"
	case strings.HasPrefix(text, "<?xml") || strings.HasPrefix(text, "<plist") || strings.HasPrefix(text, "bplist"):
		return "plist"
	}
	return "netsh"
}

// Import reads the inputs and returns the profile they describe.
func Import(inputs []Input, opt Options) (*Result, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("no input files")
	}
	r := &reader{obs: map[string]obs{}, kinds: map[string]bool{}}
	for _, in := range inputs {
		if len(in.Data) > MaxInput {
			return nil, fmt.Errorf("%s: larger than %d MiB", in.Name, MaxInput>>20)
		}
		var err error
		switch kindOf(in) {
		case "reg":
			err = r.readReg(in)
		case "pol":
			err = r.readPol(in)
		case "plist":
			err = r.readPlist(in)
		case "json":
			err = r.readJSON(in)
		default:
			err = r.readNetsh(in)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	name := opt.Profile
	if name == "" {
		if o, ok := r.obs[keyIntuneProfile]; ok {
			name = o.Value
		} else {
			name = "imported"
		}
	}
	in := derive(r, name)
	res := &Result{Profile: name}
	if err := verify(r, in); err != nil {
		return nil, err
	}
	res.Warnings = slices.Clone(r.warnings)
	res.Notes = slices.Clone(r.notes)
	var sources []string
	for _, i := range inputs {
		sources = append(sources, i.Name)
	}
	res.CUE = render(in, sources, r.warnings, r.notes)
	return res, nil
}
