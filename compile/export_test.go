package compile

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// rawJSON turns the settings mdeproxyc read for a profile (before defaults)
// back into the JSON shape cue export gives.
func rawJSON(set settings) map[string]any {
	out := map[string]any{}
	for path, l := range set {
		m := out
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, _ := m[p].(map[string]any)
			if next == nil {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		var v any
		switch fields[path].kind {
		case kindBool:
			v = l.b
		case kindString:
			v = l.str
		case kindStringList:
			list := []any{}
			for _, s := range l.list {
				list = append(list, s)
			}
			v = list
		case kindIgnoreList:
			list := []any{}
			for _, ig := range l.ignores {
				list = append(list, map[string]any{"rule": ig.Rule, "reason": ig.Reason})
			}
			v = list
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

// cueExport evaluates dir's package with CUE's own loader and evaluator, as
// `cue export` does (load.Instances, BuildInstance, JSON of the concrete value).
// It shares nothing with mdeproxyc's loader or its per-profile evaluation.
func cueExport(t *testing.T, dir string) map[string]any {
	t.Helper()
	insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
	if len(insts) != 1 || insts[0].Err != nil {
		t.Fatalf("cue load: %v", insts[0].Err)
	}
	v := cuecontext.New().BuildInstance(insts[0])
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatalf("cue export: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRawValuesMatchCueExport: for a set of fleets, the profiles and defaults
// mdeproxyc resolves (raw, before defaults apply) are exactly what CUE exports
// for the same package; and so is what the `cue` binary of the version go.mod
// pins prints for `cue export` (.ci/run installs it; where it is missing the
// subtest skips, or fails with MDEPROXYC_REQUIRE_VALIDATORS=1).
func TestRawValuesMatchCueExport(t *testing.T) {
	head := "package fleet\ndefaults: proxy: \"proxy.contoso.com:8080\"\n"
	fleets := map[string]string{"contoso": exampleFleet}
	for name, files := range map[string]map[string]string{
		"plain": {"f.cue": plainFleet},
		"policy constraints": {
			"sites.cue":  head + "profiles: {hq: {}, \"dc-a\": description: \"DC\", \"dc-b\": {}}\n",
			"policy.cue": "package fleet\nprofiles: [string]: windows: antivirus: disableRevocationChecks: false\nprofiles: [=~\"^dc-\"]: {offline: true, platforms: [\"windows\"]}\n",
		},
		"comprehension and helpers": {
			"f.cue": "package fleet\nimport \"strings\"\ndefaults: proxy: \"proxy.contoso.com:8080\"\n" + `_sites: {berlin: "10.20.0.5:3128", paris: "10.33.0.5:3128"}
#Branch: {bypass: ["<local>", "*.contoso.com"], ...}
for n, p in _sites {profiles: (n): #Branch & {proxy: p, description: strings.ToUpper(n)}}
let Lab = {platforms: ["linux"], linux: proxy: "http://10.9.0.2:3128"}
profiles: lab: Lab
profiles: hq: lint: ignore: [{rule: "MDE006", reason: "tested"}]
`,
			"g.cue":      "package fleet\nprofiles: hq: description: \"HQ has \\(len(profiles)) sites\"\n",
			"_draft.cue": "package fleet\nprofiles: draft: {}\n",
			"x_test.cue": "package fleet\nprofiles: test: {}\n",
		},
	} {
		fleets[name] = writeTree(t, files)
	}
	for name, dir := range fleets {
		t.Run(name, func(t *testing.T) {
			src, diags := loadDir(dir)
			if len(diags) > 0 {
				t.Fatal(diags.Error())
			}
			ev, diags := evaluate(src, nil, false)
			if len(diags) > 0 {
				t.Fatal(diags.Error())
			}
			got := map[string]any{"defaults": rawJSON(ev.defaults)}
			profiles := map[string]any{}
			for _, p := range ev.profiles {
				profiles[p.name] = rawJSON(p.set)
			}
			got["profiles"] = profiles
			want := cueExport(t, dir)
			if _, ok := want["defaults"]; !ok {
				want["defaults"] = map[string]any{}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("mdeproxyc's raw values differ from CUE's export (-cue +mdeproxyc):\n%s", d)
			}
			t.Run("cue binary", func(t *testing.T) {
				cueBinaryAgrees(t, dir, got)
			})
		})
	}
}

// cueBinaryAgrees runs the pinned `cue export` in dir and compares its JSON
// with the raw values mdeproxyc resolved.
func cueBinaryAgrees(t *testing.T, dir string, got map[string]any) {
	t.Helper()
	cmd := exec.Command(validators.CueBinary(t), "export", "--out", "json", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CUE_CACHE_DIR="+t.TempDir())
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("cue export: %v", err)
	}
	var bin map[string]any
	if err := json.Unmarshal(b, &bin); err != nil {
		t.Fatal(err)
	}
	if _, ok := bin["defaults"]; !ok {
		bin["defaults"] = map[string]any{}
	}
	if d := cmp.Diff(bin, got); d != "" {
		t.Errorf("differs from the cue binary's export (-cue +mdeproxyc):\n%s", d)
	}
}
