package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The incremental build's promise, checked by behaviour rather than by stored
// hashes: after any edit of the intent, `build` over the previous bundle
// writes exactly what a fresh `build --full` writes, file for file, byte for
// byte and mode for mode; and `diff` between the two versions reports a
// profile exactly when its files differ, listing the files that do.
//
// The fuzz input is a stream of choices (genChoices): a first fleet, then a
// series of edits of the kinds users make — a value changed, a default written
// out explicitly, a value moved between defaults and a profile, a profile added
// or removed, a component enabled or disabled, platforms narrowed, the mode
// changed. An edit that makes the fleet invalid must fail both builds alike; it
// is then undone.

// genSetting is a setting the generator writes, with the CUE values it picks
// from; def is the built-in default's CUE spelling, "" when there is none.
type genSetting struct {
	path   string
	values []string
	def    string
}

var genSettings = []genSetting{
	{"mode", []string{`"static"`, `"auto"`}, `"static"`},
	{"proxy", []string{`"proxy.example.com:8080"`, `"10.1.2.3:3128"`, `"[2001:db8::1]:8080"`}, ""},
	{"bypass", []string{`["<local>"]`, `["*.contoso.com", "10.*"]`, `[]`}, ""},
	{"offline", []string{`true`, `false`}, `false`},
	{"platforms", []string{`["windows"]`, `["linux"]`, `["macos"]`, `["windows", "macos"]`, `["windows", "linux", "macos"]`}, `["windows", "linux", "macos"]`},
	{"description", []string{`"Site"`, `"Another site"`}, ""},
	{"connectivity", []string{`"streamlined"`, `"standard"`}, `"streamlined"`},
	{"pac", []string{`"http://pac.example.com/proxy.pac"`}, ""},
	{"windows.edr.enabled", []string{`true`, `false`}, `true`},
	{"windows.edr.proxy", []string{`"edr.example.com:8080"`}, ""},
	{"windows.edr.preferStaticProxy", []string{`true`, `false`}, ""},
	{"windows.antivirus.enabled", []string{`true`, `false`}, `true`},
	{"windows.antivirus.proxy", []string{`"http://av.example.com:8080"`}, ""},
	{"windows.antivirus.disableRevocationChecks", []string{`true`, `false`}, `false`},
	{"windows.winhttp.enabled", []string{`true`, `false`}, `false`},
	{"windows.winhttp.bypass", []string{`["<local>"]`}, ""},
	{"windows.mma.enabled", []string{`true`, `false`}, `false`},
	{"intune.enabled", []string{`true`, `false`}, `true`},
	{"linux.proxy", []string{`"http://lx.example.com:3128"`}, ""},
	{"macos.proxy", []string{`"https://mac.example.com:443"`}, ""},
}

// The settings edits that enable or disable a component pick from.
var genSwitches = []int{8, 11, 14, 16, 17}

// genFleet is a fleet as the generator holds it: settings by index of
// genSettings, their values as CUE.
type genFleet struct {
	defaults map[int]string
	profiles map[string]map[int]string
	next     int // the number of the next profile added
}

func (f *genFleet) clone() *genFleet {
	c := &genFleet{defaults: maps.Clone(f.defaults), profiles: map[string]map[int]string{}, next: f.next}
	for n, p := range f.profiles {
		c.profiles[n] = maps.Clone(p)
	}
	return c
}

func (f *genFleet) names() []string {
	var n []string
	for name := range f.profiles {
		n = append(n, name)
	}
	slices.Sort(n)
	return n
}

// cue renders the fleet as two files: defaults in one, profiles in the other.
func (f *genFleet) cue() (defaults, profiles string) {
	var d, p strings.Builder
	d.WriteString("package fleet\n\ndefaults: ")
	writeStruct(&d, f.defaults, "")
	d.WriteString("\n")
	p.WriteString("package fleet\n\nprofiles: {\n")
	for _, name := range f.names() {
		fmt.Fprintf(&p, "\t%q: ", name)
		writeStruct(&p, f.profiles[name], "\t")
		p.WriteString("\n")
	}
	p.WriteString("}\n")
	return d.String(), p.String()
}

// writeStruct writes settings as one nested CUE struct.
func writeStruct(b *strings.Builder, set map[int]string, indent string) {
	type node struct {
		kids  map[string]*node
		order []string
		value string
	}
	root := &node{kids: map[string]*node{}}
	var idx []int
	for i := range set {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		n := root
		for _, part := range strings.Split(genSettings[i].path, ".") {
			k := n.kids[part]
			if k == nil {
				k = &node{kids: map[string]*node{}}
				n.kids[part] = k
				n.order = append(n.order, part)
			}
			n = k
		}
		n.value = set[i]
	}
	var write func(n *node, indent string)
	write = func(n *node, indent string) {
		if n.value != "" {
			b.WriteString(n.value)
			return
		}
		b.WriteString("{\n")
		for _, k := range n.order {
			fmt.Fprintf(b, "%s\t%s: ", indent, k)
			write(n.kids[k], indent+"\t")
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	}
	write(root, indent)
}

// genChoices reads the fuzz input as a stream of small numbers; past its end
// every choice is 0, so any input is a valid, finite scenario.
type genChoices struct {
	data []byte
	i    int
}

func (c *genChoices) n(k int) int {
	if c.i >= len(c.data) || k <= 1 {
		c.i++
		return 0
	}
	b := c.data[c.i]
	c.i++
	return int(b) % k
}

func (c *genChoices) done() bool { return c.i >= len(c.data) }

// newFleet draws the first fleet: defaults with a proxy (so that most static
// profiles are valid) and 1 to 4 profiles of 0 to 3 settings each.
func newFleet(c *genChoices) *genFleet {
	f := &genFleet{defaults: map[int]string{1: genSettings[1].values[0]}, profiles: map[string]map[int]string{}}
	for range c.n(3) {
		i := c.n(len(genSettings))
		f.defaults[i] = genSettings[i].values[c.n(len(genSettings[i].values))]
	}
	for range 1 + c.n(4) {
		f.addProfile(c)
	}
	return f
}

func (f *genFleet) addProfile(c *genChoices) string {
	name := fmt.Sprintf("site%d", f.next)
	f.next++
	p := map[int]string{}
	for range c.n(4) {
		i := c.n(len(genSettings))
		p[i] = genSettings[i].values[c.n(len(genSettings[i].values))]
	}
	f.profiles[name] = p
	return name
}

// target picks the defaults (nil name) or one of the profiles.
func (f *genFleet) target(c *genChoices) (string, map[int]string) {
	names := f.names()
	k := c.n(len(names) + 1)
	if k == len(names) {
		return "defaults", f.defaults
	}
	return names[k], f.profiles[names[k]]
}

// written lists the settings written in set, in index order.
func written(set map[int]string) []int {
	var idx []int
	for i := range set {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// edit applies one edit and describes it.
func (f *genFleet) edit(c *genChoices) string {
	switch kind := c.n(10); kind {
	case 0: // a written value changes
		name, set := f.target(c)
		idx := written(set)
		if len(idx) == 0 {
			return "nothing (no value written)"
		}
		i := idx[c.n(len(idx))]
		values := genSettings[i].values
		// Another value than the one written, where there is one.
		v := values[c.n(len(values))]
		if v == set[i] && len(values) > 1 {
			v = values[(slices.Index(values, v)+1)%len(values)]
		}
		set[i] = v
		return fmt.Sprintf("%s: %s: %s", name, genSettings[i].path, v)
	case 1: // a value is written
		name, set := f.target(c)
		i := c.n(len(genSettings))
		set[i] = genSettings[i].values[c.n(len(genSettings[i].values))]
		return fmt.Sprintf("%s: %s: %s", name, genSettings[i].path, set[i])
	case 9: // a written value is removed
		name, set := f.target(c)
		idx := written(set)
		if len(idx) == 0 {
			return "nothing (no value written)"
		}
		i := idx[c.n(len(idx))]
		delete(set, i)
		return fmt.Sprintf("%s: remove %s", name, genSettings[i].path)
	case 2: // a default is written out explicitly
		name, set := f.target(c)
		i := c.n(len(genSettings))
		if genSettings[i].def == "" {
			return "nothing (no built-in default)"
		}
		set[i] = genSettings[i].def
		return fmt.Sprintf("%s: %s: %s (the built-in default, written)", name, genSettings[i].path, set[i])
	case 3: // a value moves from a profile to defaults, or back
		names := f.names()
		p := f.profiles[names[c.n(len(names))]]
		i := c.n(len(genSettings))
		if v, ok := p[i]; ok && c.n(2) == 0 {
			delete(p, i)
			f.defaults[i] = v
			return fmt.Sprintf("move %s from a profile to defaults", genSettings[i].path)
		}
		if v, ok := f.defaults[i]; ok {
			delete(f.defaults, i)
			for _, q := range f.profiles {
				if _, own := q[i]; !own {
					q[i] = v
				}
			}
			return fmt.Sprintf("move %s from defaults into every profile", genSettings[i].path)
		}
		return "nothing to move"
	case 4: // a profile is added
		return "add " + f.addProfile(c)
	case 5: // a profile is removed (one stays)
		names := f.names()
		if len(names) < 2 {
			return "nothing (one profile left)"
		}
		n := names[c.n(len(names))]
		delete(f.profiles, n)
		return "remove " + n
	case 6: // a component is enabled or disabled
		name, set := f.target(c)
		i := genSwitches[c.n(len(genSwitches))]
		set[i] = genSettings[i].values[c.n(2)]
		return fmt.Sprintf("%s: %s: %s", name, genSettings[i].path, set[i])
	case 7: // platforms narrow
		name, set := f.target(c)
		const platforms = 4
		set[platforms] = genSettings[platforms].values[c.n(4)]
		return fmt.Sprintf("%s: platforms: %s", name, set[platforms])
	default: // the mode changes
		name, set := f.target(c)
		set[0] = genSettings[0].values[c.n(2)]
		return fmt.Sprintf("%s: mode: %s", name, set[0])
	}
}

// runDifferential plays the scenario the input describes and fails t at the
// first step where the incremental build or diff disagrees with a fresh build.
func runDifferential(t *testing.T, data []byte, maxEdits int) {
	t.Helper()
	c := &genChoices{data: data}
	work := t.TempDir()
	inc := filepath.Join(work, "inc")
	f := newFleet(c)
	prevFleet, prevFull := "", ""
	var log []string
	for step := 0; step <= maxEdits; step++ {
		next := f
		what := "the first fleet"
		if step > 0 {
			if c.done() {
				break
			}
			next = f.clone()
			what = next.edit(c)
		}
		fleet := filepath.Join(work, fmt.Sprintf("v%d", step))
		d, p := next.cue()
		writeFleet(t, fleet, d, p)
		full := filepath.Join(work, fmt.Sprintf("full%d", step))
		fullCode, fullOut := runCLI("build", fleet, "-o", full, "--full")
		incCode, incOut := runCLI("build", fleet, "-o", inc)
		log = append(log, fmt.Sprintf("step %d: %s", step, what))
		context := func() string {
			return strings.Join(log, "\n") + "\n--- defaults.cue\n" + d + "--- profiles.cue\n" + p
		}
		if (fullCode == 0) != (incCode == 0) {
			t.Fatalf("%s\nfull build exit %d:\n%s\nincremental build exit %d:\n%s", context(), fullCode, fullOut, incCode, incOut)
		}
		if fullCode != 0 {
			if step == 0 {
				// The first fleet is invalid: nothing to compare against.
				return
			}
			log[len(log)-1] += " (invalid: undone)"
			continue
		}
		if d := compareTrees(t, full, inc); d != "" {
			t.Fatalf("%s\nthe incremental build differs from a fresh full build:\n%s\nincremental build said:\n%s", context(), d, incOut)
		}
		if prevFleet != "" {
			checkDiff(t, prevFleet, fleet, prevFull, full, context)
		}
		f, prevFleet, prevFull = next, fleet, full
	}
}

func writeFleet(t *testing.T, dir, defaults, profiles string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"defaults.cue": defaults, "profiles.cue": profiles} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runCLI runs the command line in this process, through the CLI's own entry
// point, and returns its exit code and everything it printed.
func runCLI(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

// entry is one thing in a bundle: its type and permission bits, and a file's
// bytes.
type entry struct {
	mode fs.FileMode
	data []byte
}

func readTree(t *testing.T, root string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		e := entry{mode: info.Mode() & (fs.ModeType | fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
		if info.Mode().IsRegular() {
			if e.data, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		out[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareTrees says how two bundles differ, "" when they do not.
func compareTrees(t *testing.T, want, got string) string {
	w, g := readTree(t, want), readTree(t, got)
	var diffs []string
	for p, we := range w {
		ge, ok := g[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+p)
		case ge.mode != we.mode:
			diffs = append(diffs, fmt.Sprintf("%s: mode %v, want %v", p, ge.mode, we.mode))
		case !bytes.Equal(ge.data, we.data):
			diffs = append(diffs, p+": content differs")
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			diffs = append(diffs, "extra "+p)
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "\n")
}

// profileFiles lists a bundle's profiles (from its manifest) and the bytes of
// each one's files, by path relative to the bundle.
func profileFiles(t *testing.T, bundleDir string) map[string]map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(bundleDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Profiles []struct{ Name string } `json:"profiles"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	tree := readTree(t, bundleDir)
	out := map[string]map[string][]byte{}
	for _, p := range m.Profiles {
		files := map[string][]byte{}
		for path, e := range tree {
			if strings.HasPrefix(path, p.Name+"/") && e.mode.IsRegular() {
				files[path] = e.data
			}
		}
		out[p.Name] = files
	}
	return out
}

// checkDiff runs `diff --format json` between two fleet versions and checks
// it against their fresh bundles: a profile is reported exactly when its files
// differ, with exactly the files that differ, and the exit code is 1 exactly
// when something is reported.
func checkDiff(t *testing.T, oldFleet, newFleet, oldBundle, newBundle string, context func() string) {
	t.Helper()
	code, out := runCLI("diff", oldFleet, newFleet, "--format", "json")
	var changes []struct {
		Profile string
		Change  string
		Files   []struct{ Path, Change string }
	}
	if err := json.Unmarshal([]byte(out), &changes); err != nil {
		t.Fatalf("%s\ndiff exit %d, output not JSON (%v):\n%s", context(), code, err, out)
	}
	if want := map[bool]int{true: 1, false: 0}[len(changes) > 0]; code != want {
		t.Fatalf("%s\ndiff exit %d with %d changes", context(), code, len(changes))
	}
	reported := map[string][]string{}
	for _, ch := range changes {
		if ch.Profile == "" {
			continue
		}
		var files []string
		for _, f := range ch.Files {
			files = append(files, f.Change+" "+f.Path)
		}
		slices.Sort(files)
		reported[ch.Profile] = files
	}
	of, nf := profileFiles(t, oldBundle), profileFiles(t, newBundle)
	names := map[string]bool{}
	for n := range of {
		names[n] = true
	}
	for n := range nf {
		names[n] = true
	}
	for name := range names {
		var want []string
		paths := map[string]bool{}
		for p := range of[name] {
			paths[p] = true
		}
		for p := range nf[name] {
			paths[p] = true
		}
		for p := range paths {
			ob, inOld := of[name][p]
			nb, inNew := nf[name][p]
			switch {
			case !inOld:
				want = append(want, "added "+p)
			case !inNew:
				want = append(want, "removed "+p)
			case !bytes.Equal(ob, nb):
				want = append(want, "changed "+p)
			}
		}
		slices.Sort(want)
		got, isReported := reported[name]
		if isReported != (len(want) > 0) || !slices.Equal(got, want) {
			t.Fatalf("%s\nprofile %s: diff reported %v (files %v); the fresh bundles differ in %v", context(), name, isReported, got, want)
		}
	}
	for name := range reported {
		if !names[name] {
			t.Fatalf("%s\ndiff reported %s, which neither bundle holds", context(), name)
		}
	}
}

// seedRevocation is today's case: a profile in mode auto, then
// windows.antivirus.disableRevocationChecks: false written out (the artifacts
// now delete SSLOptions), then removed again.
var seedRevocation = []byte{
	// newFleet: no extra defaults; 1 profile with 1 setting: mode auto.
	0, 0, 1, 0, 1,
	// edit 2 (default written out) on profile site0 of 1 (+defaults): target
	// 0, setting 13.
	2, 0, 13,
	// edit 9 (a written value removed): target 0, the second written
	// setting (mode is the first).
	9, 0, 1,
}

// seedEveryKind makes each kind of edit once, on a fleet of two profiles
// (site0 with a proxy of its own).
var seedEveryKind = []byte{
	0, 1, 1, 1, 1, 0, // newFleet
	0, 0, 0, 2, // site0's proxy changes to the IPv6 one
	6, 1, 2, 0, // site1: windows.winhttp.enabled: true
	7, 0, 0, // site0: platforms: ["windows"]
	3, 0, 1, 0, // site0's proxy moves to defaults
	4, 1, 17, 1, // site2 added, with intune.enabled: false
	8, 1, 1, // site1: mode: "auto"
	2, 2, 11, // site2: windows.antivirus.enabled: true, the default, written
	1, 3, 13, 0, // defaults: windows.antivirus.disableRevocationChecks: true
	5, 0, // site0 removed
	9, 2, 1, // defaults: disableRevocationChecks removed
}

var diffSeeds = [][]byte{
	seedRevocation,
	seedEveryKind,
	// defaults' proxy changes back and forth: a build returns to an
	// earlier bundle.
	{0, 0, 1, 2, 14, 0, 5, 1, 3, 0, 5, 0, 3, 0, 5, 1, 0, 0, 14, 0, 0, 1, 5, 1},
}

// TestIncrementalSeeds checks that the fixed seeds describe what they say:
// today's case reaches the two fleets it is about, and the other seed makes
// every kind of edit.
func TestIncrementalSeeds(t *testing.T) {
	c := &genChoices{data: seedEveryKind}
	f := newFleet(c)
	var edits []string
	for !c.done() {
		edits = append(edits, f.edit(c))
	}
	wantEdits := []string{
		`site0: proxy: "[2001:db8::1]:8080"`,
		`site1: windows.winhttp.enabled: true`,
		`site0: platforms: ["windows"]`,
		`move proxy from a profile to defaults`,
		`add site2`,
		`site1: mode: "auto"`,
		`site2: windows.antivirus.enabled: true (the built-in default, written)`,
		`defaults: windows.antivirus.disableRevocationChecks: true`,
		`remove site0`,
		`defaults: remove windows.antivirus.disableRevocationChecks`,
	}
	if !slices.Equal(edits, wantEdits) {
		t.Errorf("seedEveryKind makes\n%q\nwant\n%q", edits, wantEdits)
	}

	c = &genChoices{data: seedRevocation}
	f = newFleet(c)
	var fleets []string
	for !c.done() {
		f.edit(c)
		_, p := f.cue()
		fleets = append(fleets, p)
	}
	want := []string{
		"package fleet\n\nprofiles: {\n\t\"site0\": {\n\t\tmode: \"auto\"\n\t\twindows: {\n\t\t\tantivirus: {\n\t\t\t\tdisableRevocationChecks: false\n\t\t\t}\n\t\t}\n\t}\n}\n",
		"package fleet\n\nprofiles: {\n\t\"site0\": {\n\t\tmode: \"auto\"\n\t}\n}\n",
	}
	if !slices.Equal(fleets, want) {
		t.Fatalf("the revocation seed makes\n%q\nwant\n%q", fleets, want)
	}
}

// FuzzIncrementalMatchesFull is the differential: go test runs its seeds,
// CI's fuzz smoke a bounded number of generated scenarios.
func FuzzIncrementalMatchesFull(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		runDifferential(t, data, 10)
	})
}

// TestPresenceIsInTheDigest: in mode auto, writing disableRevocationChecks:
// false out changes the profile's digest in the manifest and its files;
// leaving it out while other lines move (positions change) changes neither.
func TestPresenceIsInTheDigest(t *testing.T) {
	work := t.TempDir()
	fleets := map[string]string{
		"plain":   "package fleet\n\nprofiles: s: {platforms: [\"windows\"], mode: \"auto\"}\n",
		"moved":   "package fleet\n\n// A comment moves the profile down a line.\nprofiles: s: {\n\tplatforms: [\"windows\"]\n\tmode: \"auto\"\n}\n",
		"written": "package fleet\n\nprofiles: s: {platforms: [\"windows\"], mode: \"auto\", windows: antivirus: disableRevocationChecks: false}\n",
	}
	digest := map[string]string{}
	files := map[string]map[string][]byte{}
	for name, src := range fleets {
		dir := filepath.Join(work, name)
		writeFleet(t, dir, "package fleet\n", src)
		out := filepath.Join(work, name+"-out")
		if code, msg := runCLI("build", dir, "-o", out); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, msg)
		}
		raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Profiles []struct{ Name, Digest string } `json:"profiles"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || len(m.Profiles) != 1 {
			t.Fatalf("%s: manifest %v, %d profiles", name, err, len(m.Profiles))
		}
		digest[name], files[name] = m.Profiles[0].Digest, profileFiles(t, out)["s"]
	}
	same := func(a, b map[string][]byte) bool {
		if len(a) != len(b) {
			return false
		}
		for p, d := range a {
			if !bytes.Equal(d, b[p]) {
				return false
			}
		}
		return true
	}
	if digest["plain"] != digest["moved"] || !same(files["plain"], files["moved"]) {
		t.Errorf("moving lines changed the digest (%s, %s) or the files", digest["plain"], digest["moved"])
	}
	if digest["plain"] == digest["written"] {
		t.Errorf("writing disableRevocationChecks: false out left the digest %s", digest["plain"])
	}
	if same(files["plain"], files["written"]) {
		t.Errorf("writing disableRevocationChecks: false out changed no file")
	}
}
