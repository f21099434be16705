package gpo

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/cmdlets"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// text reads a value as the script gives it: a single-quoted string's text,
// an integer's digits, a variable's name.
func text(v validators.PSValue) string {
	var s string
	if json.Unmarshal(v.Value, &s) == nil {
		return s
	}
	return string(v.Value)
}

// TestScriptParsesAndMatchesPlan: for every Windows profile of the example
// fleet the script parses with no ERROR or MISSING node, every cmdlet call
// fits a documented parameter set, and its data — read from the parse tree —
// is exactly the registry plan (key, value name, type, value, delete), the
// GPO name and the OUs of the intent.
func TestScriptParsesAndMatchesPlan(t *testing.T) {
	var profiles []*emitters.Profile
	var scripts [][]byte
	for _, mp := range testfleet.Profiles(t) {
		p := emitters.NewProfile(mp)
		files, err := Emitter{}.Emit(p)
		if err != nil {
			t.Fatal(err)
		}
		if !mp.Targets(model.Windows) {
			if len(files) != 0 {
				t.Errorf("%s: files for a profile without Windows", mp.Name)
			}
			continue
		}
		profiles = append(profiles, p)
		scripts = append(scripts, files[0].Data)
	}
	withLinks := 0
	for i, f := range validators.ParsePowerShell(t, scripts...) {
		p := profiles[i]
		if e := f.SyntaxErrors(); e != "" {
			t.Fatalf("%s: syntax errors:\n%s", p.Name, e)
		}
		for _, problem := range cmdlets.Check(f) {
			t.Errorf("%s: %s", p.Name, problem)
		}
		name, _ := f.Assigned("$GpoName")
		if got, err := name.String(); err != nil || got != p.GPO.Name {
			t.Errorf("%s: $GpoName = %q (%v), want %q", p.Name, got, err, p.GPO.Name)
		}
		pv, _ := f.Assigned("$Plan")
		entries, err := pv.Array()
		if err != nil {
			t.Fatalf("%s: $Plan: %v", p.Name, err)
		}
		ops := p.Plan().Ops
		if len(entries) != len(ops) {
			t.Fatalf("%s: $Plan has %d entries, the registry plan %d", p.Name, len(entries), len(ops))
		}
		for j, e := range entries {
			h, err := e.Hash()
			if err != nil {
				t.Fatalf("%s: $Plan[%d]: %v", p.Name, j, err)
			}
			o := ops[j]
			typ, value := "String", o.Str
			if o.Type == regplan.DWord {
				typ, value = "DWord", fmt.Sprint(o.DWord)
			}
			if o.Delete {
				value = "$null"
			}
			want := map[string]string{"Key": `HKLM\` + o.Key, "ValueName": o.Name, "Type": typ, "Value": value, "Delete": fmt.Sprintf("$%t", o.Delete)}
			if !slices.Contains(cmdlets.Accepted("Set-GPRegistryValue", "ByName", "Type"), typ) {
				t.Errorf("%s: $Plan[%d].Type %s is not a documented -Type of Set-GPRegistryValue", p.Name, j, typ)
			}
			for k, w := range want {
				if got := text(h[k]); got != w {
					t.Errorf("%s: $Plan[%d].%s = %q, want %q", p.Name, j, k, got, w)
				}
			}
		}
		lv, _ := f.Assigned("$Links")
		links, err := lv.Array()
		if err != nil || len(links) != len(p.GPO.Links) {
			t.Fatalf("%s: $Links = %v (%v), want %q", p.Name, links, err, p.GPO.Links)
		}
		for j, l := range links {
			if got, _ := l.String(); got != p.GPO.Links[j] {
				t.Errorf("%s: $Links[%d] = %q, want %q", p.Name, j, got, p.GPO.Links[j])
			}
		}
		if len(links) > 0 {
			withLinks++
		}
		// Every write names the GPO by $GpoName and is behind ShouldProcess.
		writes := 0
		for _, c := range f.Commands {
			switch c.Name {
			case "New-GPO", "Set-GPRegistryValue", "Remove-GPRegistryValue", "New-GPLink":
				writes++
				if len(c.Args) < 2 || text(c.Args[0]) != "-Name" || text(c.Args[1]) != "$GpoName" {
					t.Errorf("%s: line %d: %s does not name the GPO by -Name $GpoName", p.Name, c.Line, c.Name)
				}
			}
		}
		should := 0
		for _, inv := range f.Invocations {
			if inv.Member == "ShouldProcess" {
				should++
			}
		}
		if writes != 5 || should != writes {
			t.Errorf("%s: %d writes and %d ShouldProcess calls, want 5 of each", p.Name, writes, should)
		}
	}
	if withLinks == 0 {
		t.Error("no example profile links its GPO: the links are untested")
	}
}

// TestHostileNameStaysQuoted: a GPO name that tries to end its literal reads
// back unchanged; the script still parses as before.
func TestHostileNameStaysQuoted(t *testing.T) {
	mp := testfleet.Profile(t, "hq")
	mp.GPO.Name = "x'; Remove-GPO -Name 'Default Domain Policy'; '‘"
	files, err := Emitter{}.Emit(emitters.NewProfile(mp))
	if err != nil {
		t.Fatal(err)
	}
	f := validators.ParsePowerShell(t, files[0].Data)[0]
	if e := f.SyntaxErrors(); e != "" {
		t.Fatal(e)
	}
	if v, _ := f.Assigned("$GpoName"); text(v) != mp.GPO.Name {
		t.Errorf("$GpoName = %q, want %q", text(v), mp.GPO.Name)
	}
	for _, c := range f.Commands {
		if c.Name == "Remove-GPO" {
			t.Errorf("line %d: the name became a command", c.Line)
		}
	}
}

// TestRemovesOnlyManagedValues: on a GPO it reuses by name, the script may
// remove only values this tool manages, and only those the plan leaves out
// (issue: it removed DisableAntiSpyware, PUAProtection, AllowTelemetry…).
// Read from the parse tree of every example profile's script: each
// Remove-GPRegistryValue takes its key and value name from the loop variable
// of a foreach over $Unplanned, which nothing else assigns; $Unplanned holds
// only values of the components the profile manages that its $Plan does not
// name.
func TestRemovesOnlyManagedValues(t *testing.T) {
	var profiles []*emitters.Profile
	var scripts [][]byte
	for _, mp := range testfleet.Targeting(t, model.Windows, 2) {
		p := emitters.NewProfile(mp)
		files, err := Emitter{}.Emit(p)
		if err != nil {
			t.Fatal(err)
		}
		profiles = append(profiles, p)
		scripts = append(scripts, files[0].Data)
	}
	removes, unplanned := 0, 0
	for i, f := range validators.ParsePowerShell(t, scripts...) {
		p := profiles[i]
		for _, problem := range removeProblems(f, regplan.Managed(p.Profile)) {
			t.Errorf("%s: %s", p.Name, problem)
		}
		for _, c := range f.Commands {
			if c.Name == "Remove-GPRegistryValue" {
				removes++
			}
		}
		uv, _ := f.Assigned("$Unplanned")
		entries, _ := uv.Array()
		unplanned += len(entries)
	}
	if removes == 0 || unplanned == 0 {
		t.Errorf("%d Remove-GPRegistryValue calls and %d unplanned values in the example scripts: the check proves nothing", removes, unplanned)
	}
}

// removeProblems lists what breaks the rule of TestRemovesOnlyManagedValues
// in one parsed script.
func removeProblems(f validators.PSFile, managed []regplan.Value) []string {
	var out []string
	ok := map[string]bool{}
	for _, v := range managed {
		ok[`HKLM\`+v.Key+`|`+v.Name] = true
	}
	planned := map[string]bool{}
	pv, _ := f.Assigned("$Plan")
	entries, _ := pv.Array()
	for _, e := range entries {
		h, _ := e.Hash()
		planned[text(h["Key"])+"|"+text(h["ValueName"])] = true
	}
	uv, found := f.Assigned("$Unplanned")
	if !found {
		out = append(out, "no $Unplanned")
	}
	entries, err := uv.Array()
	if found && err != nil {
		out = append(out, fmt.Sprintf("$Unplanned: %v", err))
	}
	for j, e := range entries {
		h, _ := e.Hash()
		kv := text(h["Key"]) + "|" + text(h["ValueName"])
		if !ok[kv] || planned[kv] || len(h) != 2 {
			out = append(out, fmt.Sprintf("$Unplanned[%d] = %s: not a value of a managed component that the plan leaves out", j, e.Raw()))
		}
	}
	for _, a := range f.Assignments {
		if a.Variable == "$u" || a.Variable == "$Unplanned" && a.Line != assignedLine(f, "$Unplanned") {
			out = append(out, fmt.Sprintf("line %d: %s is assigned", a.Line, a.Variable))
		}
	}
	for _, c := range f.Commands {
		if c.Name != "Remove-GPRegistryValue" {
			continue
		}
		args := map[string]string{}
		for k := 0; k+1 < len(c.Args); k++ {
			if c.Args[k].Kind == "param" {
				args[text(c.Args[k])] = text(c.Args[k+1])
			}
		}
		if len(c.Loops) == 0 || c.Loops[0].Variable != "$u" || c.Loops[0].Collection != "$Unplanned" ||
			args["-Key"] != "$u.Key" || args["-ValueName"] != "$u.ValueName" || len(c.Args) != 6 {
			out = append(out, fmt.Sprintf("line %d: Remove-GPRegistryValue %v does not take -Key $u.Key -ValueName $u.ValueName from a foreach ($u in $Unplanned) (loops %v)", c.Line, args, c.Loops))
		}
	}
	return out
}

// assignedLine is the line of the first assignment to a variable.
func assignedLine(f validators.PSFile, variable string) int {
	for _, a := range f.Assignments {
		if a.Variable == variable {
			return a.Line
		}
	}
	return 0
}
