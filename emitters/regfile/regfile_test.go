package regfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// escapePlan holds the two characters .reg strings escape, and others that
// must pass through untouched. Validated intent never contains \ or ", so the
// renderer's escaping is proved on this plan.
var escapePlan = regplan.Plan{Ops: []regplan.Op{
	{Key: regplan.KeyDefender, Name: `Quote"And\Backslash`, Type: regplan.String, Str: `C:\dir\"quoted" \\share;<local>%PATH%$x`},
	{Key: regplan.KeyDefender, Name: "Plain", Type: regplan.String, Str: "é ü ß ÿ"},
	{Key: regplan.KeyDefender, Name: "Max", Type: regplan.DWord, DWord: 0xFFFFFFFF},
	{Key: regplan.KeySpynet, Name: "Zero", Type: regplan.DWord, DWord: 0},
}}

// unicodePlan holds characters beyond Latin-1, which only Wine can check.
var unicodePlan = regplan.Plan{Ops: []regplan.Op{
	{Key: regplan.KeyDefender, Name: "Wide", Type: regplan.String, Str: "— 日本 𝄞"},
}}

func TestExactBytes(t *testing.T) {
	got := Apply("x", escapePlan)
	want := "\ufeffWindows Registry Editor Version 5.00\r\n\r\n" +
		"; mdeproxyc: Defender for Endpoint proxy policy for profile x. Generated file: do not edit; change the intent and rebuild.\r\n\r\n" +
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender]\r\n" +
		"\"Quote\\\"And\\\\Backslash\"=\"C:\\\\dir\\\\\\\"quoted\\\" \\\\\\\\share;<local>%PATH%$x\"\r\n" +
		"\"Plain\"=\"é ü ß ÿ\"\r\n" +
		"\"Max\"=dword:ffffffff\r\n\r\n" +
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Spynet]\r\n" +
		"\"Zero\"=dword:00000000\r\n\r\n"
	text, err := validators.RegText(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte{0xFF, 0xFE, 'W', 0}) {
		t.Errorf("file does not start with a UTF-16LE BOM and the header: % x", got[:4])
	}
	if d := cmp.Diff(strings.TrimPrefix(want, "\ufeff"), text); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// expect returns what a consumer must read back after applying plan: every set
// value, as the consumer names its type.
func expect(plan regplan.Plan) validators.Values {
	v := validators.Values{}
	for _, o := range plan.Sets() {
		if v[o.Key] == nil {
			v[o.Key] = map[string]validators.Value{}
		}
		typ := "string"
		if o.Type == regplan.DWord {
			typ = "dword"
		}
		v[o.Key][o.Name] = validators.Value{Type: typ, Data: o.Data()}
	}
	return v
}

// onlyValues drops keys without values: consumers differ on empty keys.
func onlyValues(v validators.Values) validators.Values {
	out := validators.Values{}
	for k, vals := range v {
		if len(vals) > 0 {
			out[k] = vals
		}
	}
	return out
}

// TestHivex merges every example profile's .reg files into a fresh hive with
// hivex (strict syntax) and compares what it reads back with the plan.
func TestHivex(t *testing.T) {
	cases := map[string]regplan.Plan{"escapes": escapePlan}
	for _, p := range testfleet.Profiles(t) {
		cases[p.Name] = regplan.For(p)
	}
	for name, plan := range cases {
		if len(plan.Ops) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			apply := Apply(name, plan)
			checkHeader(t, apply)
			got, err := validators.HivexMerge(t, apply)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(expect(plan), onlyValues(got)); d != "" {
				t.Errorf("hivex read back (-plan +hivex):\n%s", d)
			}
			undo := Undo(name, plan)
			checkHeader(t, undo)
			if _, err := validators.HivexMerge(t, undo); err != nil {
				t.Errorf("undo file: %v", err)
			}
		})
	}
}

// checkHeader checks what hivex ignores: the exact first line.
func checkHeader(t *testing.T, reg []byte) {
	t.Helper()
	text, err := validators.RegText(reg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, Header+"\r\n\r\n") {
		t.Errorf("header: %q", text[:min(len(text), 40)])
	}
}

// TestHivexRejectsBrokenFiles proves the checker is not a rubber stamp.
func TestHivexRejectsBrokenFiles(t *testing.T) {
	good, _ := validators.RegText(Apply("x", escapePlan))
	broken := map[string]string{
		"unterminated string": strings.Replace(good, `"Plain"="é ü ß ÿ"`, `"Plain"="é ü ß ÿ`, 1),
		"short dword":         strings.Replace(good, "dword:ffffffff", "dword:fff", 1),
		"key after value":     strings.Replace(good, "\"Max\"=dword:ffffffff\r\n\r\n[", "\"Max\"=dword:ffffffff\r\n[", 1),
		"unclosed key":        strings.Replace(good, `Spynet]`, `Spynet`, 1),
	}
	for name, text := range broken {
		if text == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := validators.HivexMerge(t, utf16le(text)); err == nil {
			t.Errorf("%s: hivex accepted a broken file", name)
		}
	}
}

func utf16le(s string) []byte { return encodeUTF16LE(s) }

// TestWine imports each example profile's .reg under Wine's reg.exe, exports
// the keys back, and compares with the plan; then imports the undo file and
// checks that none of our values remain. One prefix, used serially.
func TestWine(t *testing.T) {
	validators.Slow(t, "Wine takes ~15 s to make a prefix")
	w := validators.NewWine(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		plan regplan.Plan
	}{{"escapes", escapePlan}, {"unicode", unicodePlan}}
	for _, p := range testfleet.Profiles(t) {
		cases = append(cases, struct {
			name string
			plan regplan.Plan
		}{p.Name, regplan.For(p)})
	}
	const root = `SOFTWARE\Policies\Microsoft`
	for _, c := range cases {
		if len(c.plan.Ops) == 0 {
			continue
		}
		w.DeleteKey(root)
		if err := checkWithWine(w, dir, c.name, c.plan); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// The check is not a rubber stamp: Wine skips malformed lines and exits 0,
	// and the check must still fail.
	w.DeleteKey(root)
	good, _ := validators.RegText(Apply("x", escapePlan))
	broken := strings.Replace(good, `"Max"=dword:ffffffff`, `"Max"=dword:zz`, 1)
	if err := checkFilesWithWine(w, dir, escapePlan, utf16le(broken), Undo("x", escapePlan)); err == nil {
		t.Error("a file with a malformed dword passed the Wine check")
	}
	w.DeleteKey(root)
	leaky := Undo("x", regplan.Plan{Ops: escapePlan.Ops[:1]})
	if err := checkFilesWithWine(w, dir, escapePlan, Apply("x", escapePlan), leaky); err == nil {
		t.Error("an undo file that leaves values behind passed the Wine check")
	}
}

// checkWithWine applies and undoes a plan's .reg files under Wine and reports
// the first disagreement with the plan.
func checkWithWine(w *validators.Wine, dir, name string, plan regplan.Plan) error {
	return checkFilesWithWine(w, dir, plan, Apply(name, plan), Undo(name, plan))
}

func checkFilesWithWine(w *validators.Wine, dir string, plan regplan.Plan, apply, undo []byte) error {
	const root = `SOFTWARE\Policies\Microsoft`
	applyFile := filepath.Join(dir, "apply.reg")
	undoFile := filepath.Join(dir, "undo.reg")
	os.WriteFile(applyFile, apply, 0o644)
	os.WriteFile(undoFile, undo, 0o644)
	if err := w.Import(applyFile); err != nil {
		return err
	}
	got, err := w.Export(root)
	if err != nil {
		return err
	}
	if d := cmp.Diff(expect(plan), onlyValues(got)); d != "" {
		return errorf("Wine read back (-plan +wine):\n%s", d)
	}
	if err := w.Import(undoFile); err != nil {
		return err
	}
	got, err = w.Export(root)
	if err != nil {
		return err
	}
	if left := onlyValues(got); len(left) > 0 {
		return errorf("values left after undo: %v", left)
	}
	return nil
}

// FuzzRegRoundTrip: for any profile that passes validation, the .reg parses
// under hivex and every string round-trips exactly.
func FuzzRegRoundTrip(f *testing.F) {
	f.Add("proxy.contoso.com:8080", "*.contoso.com", "https://pac.contoso.com/a.pac")
	f.Add("[2001:db8::1]:1", "<local>", "http://p:8080/x~y_z.pac")
	f.Add(`a"b:1`, `c\d`, "ftp://x")
	f.Fuzz(func(t *testing.T, proxy, bypass, pac string) {
		src := "package fleet\nprofiles: f: {platforms: [\"windows\"], proxy: " + cueString(proxy) +
			", bypass: [" + cueString(bypass) + "], pac: " + cueString(pac) + "}\n"
		ps, err := testfleet.SourceDiags(t, src)
		if err != nil {
			return // invalid intent is compile's business, tested there
		}
		plan := regplan.For(ps[0])
		got, err := validators.HivexMerge(t, Apply("f", plan))
		if err != nil {
			t.Fatalf("hivex rejected the .reg of a valid profile: %v", err)
		}
		if d := cmp.Diff(expect(plan), onlyValues(got)); d != "" {
			t.Fatalf("round trip (-plan +hivex):\n%s", d)
		}
	})
}

// cueString quotes s as a CUE string literal: \u escapes for anything outside
// printable ASCII, so any fuzzed string survives into the fleet file.
func cueString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xFFFF:
			b.WriteString(`\u` + leftPad(strconv.FormatInt(int64(r), 16), 4))
		default:
			b.WriteString(`\U` + leftPad(strconv.FormatInt(int64(r), 16), 8))
		}
	}
	b.WriteByte('"')
	return b.String()
}

func leftPad(s string, n int) string { return strings.Repeat("0", n-len(s)) + s }
