package psscripts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// A model of what Set-MdeProxy.ps1 does to a device, over the script's own
// data (its $Plan, $BackupKey, $WinHttp and $Mma, read from the golden
// scripts' parse trees) and its record format (recordFields, compared with
// the names the script's Test-Record checks). It follows the script's steps:
// Update-Record, Set-PlanValue, the Antivirus preferences, WinHTTP, MMA; and
// for the undo Read-Record, Restore-*, Remove-Record. No PowerShell runs here:
// the model is how the test states what the script must do, and the parse-tree
// rules (runtime_test.go) hold the script to the parts the model relies on.

// regValue is one registry value as the script reads it: Kind is
// RegistryValueKind's name, Value a string, an int64 (DWord) or []string.
type regValue struct {
	Kind  string
	Value any
}

// device is the state the scripts read and change.
type device struct {
	keys    map[string]map[string]regValue // existing keys and their values
	mp      *recMp                         // nil: Defender Antivirus does not answer
	winHTTP *recWinHTTP                    // nil: the WinHTTP API cannot be called
	agent   *agent                         // nil: no Log Analytics agent
}

// agent is the Log Analytics agent: its proxy, and whether its configuration
// object reports it; sets counts SetProxyInfo calls.
type agent struct {
	proxy    string
	readable bool
	sets     int
}

func (d *device) clone() *device {
	c := &device{keys: map[string]map[string]regValue{}}
	for k, v := range d.keys {
		c.keys[k] = maps.Clone(v)
	}
	if d.mp != nil {
		mp := *d.mp
		mp.ProxyBypass = slices.Clone(mp.ProxyBypass)
		c.mp = &mp
	}
	if d.winHTTP != nil {
		w := *d.winHTTP
		c.winHTTP = &w
	}
	if d.agent != nil {
		a := *d.agent
		c.agent = &a
	}
	return c
}

// The record, as Update-Record writes it with ConvertTo-Json.
type record struct {
	Profile      string      `json:"Profile"`
	Registry     []recEntry  `json:"Registry"`
	CreatedKeys  []string    `json:"CreatedKeys"`
	MpPreference *recMp      `json:"MpPreference"`
	WinHttp      *recWinHTTP `json:"WinHttp"`
	Mma          *recMma     `json:"Mma"`
}

type recEntry struct {
	Key    string `json:"Key"`
	Name   string `json:"Name"`
	Exists bool   `json:"Exists"`
	Kind   string `json:"Kind"`
	Value  any    `json:"Value"`
}

type recMp struct {
	ProxyServer string   `json:"ProxyServer"`
	ProxyPacUrl string   `json:"ProxyPacUrl"`
	ProxyBypass []string `json:"ProxyBypass"`
}

type recWinHTTP struct {
	AccessType  int    `json:"AccessType"`
	ProxyServer string `json:"ProxyServer"`
	BypassList  string `json:"BypassList"`
}

type recMma struct {
	Readable bool   `json:"Readable"`
	ProxyUrl string `json:"ProxyUrl"`
}

// recordFields are the JSON names of the record and of each of its parts.
func recordFields() map[string][]string {
	names := func(v any) []string {
		var out []string
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			out = append(out, t.Field(i).Tag.Get("json"))
		}
		return out
	}
	return map[string][]string{
		"record": names(record{}), "Registry": names(recEntry{}), "MpPreference": names(recMp{}),
		"WinHttp": names(recWinHTTP{}), "Mma": names(recMma{}),
	}
}

// decodeRecord reads a record as Read-Record does: JSON, every field there
// (Test-Record), each registry value back in its kind's type (the casts of
// Restore-Registry). A record without CreatedKeys (older scripts) lists none.
func decodeRecord(data string, profile string) (*record, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if _, ok := raw["CreatedKeys"]; !ok {
		raw["CreatedKeys"] = json.RawMessage("[]")
	}
	need := func(what string, m map[string]json.RawMessage, part string) error {
		for _, f := range recordFields()[part] {
			if _, ok := m[f]; !ok {
				return fmt.Errorf("%s has no %s", what, f)
			}
		}
		return nil
	}
	if err := need("the record", raw, "record"); err != nil {
		return nil, err
	}
	for _, part := range []string{"MpPreference", "WinHttp", "Mma"} {
		if string(raw[part]) == "null" {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw[part], &m); err != nil {
			return nil, fmt.Errorf("%s is not an object", part)
		}
		if err := need(part, m, part); err != nil {
			return nil, err
		}
	}
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(raw["Registry"], &entries); err != nil {
		return nil, fmt.Errorf("Registry: %v", err)
	}
	for _, e := range entries {
		if err := need("a registry entry", e, "Registry"); err != nil {
			return nil, err
		}
	}
	fixed, _ := json.Marshal(raw)
	dec := json.NewDecoder(bytes.NewReader(fixed))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var r record
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	if r.Profile != profile {
		return nil, fmt.Errorf("the record is for profile %s, not %s", r.Profile, profile)
	}
	for i, e := range r.Registry {
		v, err := typed(e.Kind, e.Value)
		if err != nil {
			return nil, fmt.Errorf("%s\\%s: %v", e.Key, e.Name, err)
		}
		r.Registry[i].Value = v
	}
	return &r, nil
}

// typed converts a JSON value to the type of its registry kind.
func typed(kind string, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case json.Number:
		if kind != "DWord" {
			return nil, fmt.Errorf("a number for %s", kind)
		}
		return x.Int64()
	case string:
		return x, nil
	case []any:
		var out []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%v in a MultiString", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T", v)
}

// planOp is one entry of a script's $Plan.
type planOp struct {
	Key, Name, Type string
	Value           any // string or int64
	Delete          bool
}

// scriptData is the intent block of one Set-MdeProxy.ps1.
type scriptData struct {
	profile, backupKey     string
	plan                   []planOp
	mp                     recMp
	manageWinHTTP          bool
	winHTTP                recWinHTTP
	manageMMA              bool
	mmaProxy               string
	testRecordStringValues map[string]bool
}

// readScriptData reads the intent block from a parsed Set-MdeProxy.ps1.
func readScriptData(t *testing.T, f validators.PSFile) scriptData {
	t.Helper()
	get := func(v string) validators.PSValue {
		x, ok := f.Assigned(v)
		if !ok {
			t.Fatalf("no %s", v)
		}
		return x
	}
	hash := func(v string) map[string]validators.PSValue {
		h, err := get(v).Hash()
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		return h
	}
	d := scriptData{profile: str(get("$MdeProfile")), backupKey: str(get("$BackupKey"))}
	entries, err := get("$Plan").Array()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		h, _ := e.Hash()
		op := planOp{Key: str(h["Key"]), Name: str(h["Name"]), Type: str(h["Type"]), Delete: h["Delete"].Raw() == `variable:"$true"`}
		switch {
		case op.Delete:
		case h["Value"].Kind == "int":
			var n int64
			_ = json.Unmarshal(h["Value"].Value, &n)
			op.Value = n
		default:
			op.Value = str(h["Value"])
		}
		d.plan = append(d.plan, op)
	}
	mp := hash("$MpPreference")
	d.mp = recMp{ProxyServer: str(mp["ProxyServer"]), ProxyPacUrl: str(mp["ProxyPacUrl"])}
	bypass, _ := mp["ProxyBypass"].Array()
	for _, b := range bypass {
		d.mp.ProxyBypass = append(d.mp.ProxyBypass, str(b))
	}
	wh := hash("$WinHttp")
	d.manageWinHTTP = wh["Manage"].Raw() == `variable:"$true"`
	d.winHTTP = recWinHTTP{AccessType: 1, ProxyServer: str(wh["ProxyServer"]), BypassList: str(wh["BypassList"])}
	if d.winHTTP.ProxyServer != "" {
		d.winHTTP.AccessType = 3
	}
	mma := hash("$Mma")
	d.manageMMA = mma["Manage"].Raw() == `variable:"$true"`
	d.mmaProxy = str(mma["ProxyUrl"])
	return d
}

// result is what one run did: its failures and the SetProxyInfo calls.
type result struct{ failures []string }

func (r *result) fail(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// missingKeys is Get-MissingKeys: the missing keys of a path, parents first.
func (d *device) missingKeys(key string) []string {
	var out []string
	for k := key; strings.LastIndex(k, `\`) > 0; k = k[:strings.LastIndex(k, `\`)] {
		if _, ok := d.keys[k]; ok || k == `HKLM:\SOFTWARE` {
			break
		}
		out = append([]string{k}, out...)
	}
	return out
}

// createKey is New-Item -Force: the key and every missing parent.
func (d *device) createKey(key string) {
	for _, k := range d.missingKeys(key) {
		d.keys[k] = map[string]regValue{}
	}
}

func (d *device) value(key, name string) (regValue, bool) {
	v, ok := d.keys[key][name]
	return v, ok
}

// readRecord is Read-Record: nil without a record, an error for one that
// cannot be read whole.
func (d *device) readRecord(s scriptData) (*record, error) {
	k, ok := d.keys[s.backupKey]
	if !ok {
		return nil, nil
	}
	st, ok := k["State"]
	if !ok || st.Kind != "String" {
		return nil, fmt.Errorf("the record has no State string")
	}
	return decodeRecord(st.Value.(string), s.profile)
}

func addCreated(r *record, keys []string) {
	for _, k := range keys {
		if !slices.Contains(r.CreatedKeys, k) {
			r.CreatedKeys = append(r.CreatedKeys, k)
		}
	}
}

// apply is Invoke-Apply.
func (d *device) apply(s scriptData) result {
	var res result
	// Update-Record.
	rec, err := d.readRecord(s)
	if err != nil {
		res.fail("record: %v", err)
		return res
	}
	added := false
	if rec == nil {
		rec = &record{Profile: s.profile, Registry: []recEntry{}, CreatedKeys: []string{}}
		addCreated(rec, d.missingKeys(s.backupKey))
		added = true
	}
	for _, op := range s.plan {
		if slices.ContainsFunc(rec.Registry, func(e recEntry) bool { return e.Key == op.Key && e.Name == op.Name }) {
			continue
		}
		v, ok := d.value(op.Key, op.Name)
		rec.Registry = append(rec.Registry, recEntry{Key: op.Key, Name: op.Name, Exists: ok, Kind: v.Kind, Value: v.Value})
		if !op.Delete {
			addCreated(rec, d.missingKeys(op.Key))
		}
		added = true
	}
	if rec.MpPreference == nil && d.mp != nil {
		mp := *d.mp
		rec.MpPreference, added = &mp, true
	}
	if s.manageWinHTTP && rec.WinHttp == nil && d.winHTTP != nil {
		w := *d.winHTTP
		rec.WinHttp, added = &w, true
	}
	if s.manageMMA && rec.Mma == nil && d.agent != nil {
		m := recMma{Readable: d.agent.readable}
		if m.Readable {
			m.ProxyUrl = d.agent.proxy
		}
		rec.Mma, added = &m, true
	}
	if added {
		data, err := json.Marshal(rec)
		if err != nil {
			panic(err)
		}
		d.createKey(s.backupKey)
		d.keys[s.backupKey]["State"] = regValue{"String", string(data)}
	}
	// Set-PlanValue.
	for _, op := range s.plan {
		v, ok := d.value(op.Key, op.Name)
		if op.Delete {
			if ok {
				delete(d.keys[op.Key], op.Name)
			}
			continue
		}
		if ok && v.Kind == op.Type && reflect.DeepEqual(v.Value, op.Value) {
			continue
		}
		d.createKey(op.Key)
		d.keys[op.Key][op.Name] = regValue{op.Type, op.Value}
	}
	if d.mp != nil {
		mp := s.mp
		mp.ProxyBypass = slices.Clone(mp.ProxyBypass)
		d.mp = &mp
	}
	if s.manageWinHTTP && d.winHTTP != nil {
		w := s.winHTTP
		d.winHTTP = &w
	}
	if s.manageMMA && d.agent != nil && !(d.agent.readable && d.agent.proxy == s.mmaProxy) {
		d.agent.proxy = s.mmaProxy
		d.agent.sets++
	}
	return res
}

// undo is Invoke-Undo.
func (d *device) undo(s scriptData) result {
	var res result
	rec, err := d.readRecord(s)
	if err != nil {
		res.fail("record: %v", err)
		return res
	}
	if rec == nil {
		return res
	}
	for _, e := range rec.Registry {
		if !e.Exists {
			delete(d.keys[e.Key], e.Name)
			continue
		}
		d.createKey(e.Key)
		d.keys[e.Key][e.Name] = regValue{e.Kind, e.Value}
	}
	if rec.MpPreference != nil {
		if d.mp == nil {
			res.fail("MpPreference: Defender Antivirus does not answer")
		} else {
			mp := *rec.MpPreference
			d.mp = &mp
		}
	}
	if rec.WinHttp != nil {
		if d.winHTTP == nil {
			res.fail("WinHTTP: cannot be read")
		} else {
			w := *rec.WinHttp
			d.winHTTP = &w
		}
	}
	if rec.Mma != nil && rec.Mma.Readable && d.agent != nil && !(d.agent.readable && d.agent.proxy == rec.Mma.ProxyUrl) {
		d.agent.proxy = rec.Mma.ProxyUrl
		d.agent.sets++
	}
	if len(res.failures) > 0 {
		return res
	}
	// Remove-Record.
	gone := map[string]bool{}
	for k := range d.keys {
		if k == s.backupKey || strings.HasPrefix(k, s.backupKey+`\`) {
			delete(d.keys, k)
			gone[k] = true
		}
	}
	created := slices.Clone(rec.CreatedKeys)
	sort.SliceStable(created, func(i, j int) bool { return len(created[i]) > len(created[j]) })
	for _, k := range created {
		if _, ok := d.keys[k]; !ok || gone[k] {
			continue
		}
		empty := len(d.keys[k]) == 0
		for other := range d.keys {
			if strings.HasPrefix(other, k+`\`) {
				empty = false
			}
		}
		if empty {
			delete(d.keys, k)
			gone[k] = true
		}
	}
	return res
}

// equalDevices compares two device states; with ignoreAgentProxy the agent's
// proxy is not compared (the undo leaves a proxy it could never read).
func equalDevices(a, b *device, ignoreAgentProxy bool) string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(a.keys)) {
		if _, ok := b.keys[k]; !ok {
			diffs = append(diffs, "key "+k+" only before")
			continue
		}
		if !reflect.DeepEqual(a.keys[k], b.keys[k]) {
			diffs = append(diffs, fmt.Sprintf("key %s: %v, now %v", k, a.keys[k], b.keys[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.keys)) {
		if _, ok := a.keys[k]; !ok {
			diffs = append(diffs, "key "+k+" left behind")
		}
	}
	if !reflect.DeepEqual(a.mp, b.mp) {
		diffs = append(diffs, fmt.Sprintf("MpPreference %+v, now %+v", a.mp, b.mp))
	}
	if !reflect.DeepEqual(a.winHTTP, b.winHTTP) {
		diffs = append(diffs, fmt.Sprintf("WinHTTP %+v, now %+v", a.winHTTP, b.winHTTP))
	}
	if (a.agent == nil) != (b.agent == nil) || a.agent != nil && !ignoreAgentProxy && a.agent.proxy != b.agent.proxy {
		diffs = append(diffs, fmt.Sprintf("agent %+v, now %+v", a.agent, b.agent))
	}
	return strings.Join(diffs, "; ")
}

// randomDevice builds a device for a plan: each plan key there or not, each
// value absent, as intended or different, other values beside them, and the
// three components answering or not.
func randomDevice(r *rand.Rand, s scriptData) *device {
	d := &device{keys: map[string]map[string]regValue{
		`HKLM:\SOFTWARE\Policies`: {}, `HKLM:\SOFTWARE\Policies\Microsoft`: {},
	}}
	for _, op := range s.plan {
		if r.IntN(3) == 0 {
			continue
		}
		d.createKey(op.Key)
		switch r.IntN(4) {
		case 0:
			d.keys[op.Key][op.Name] = regValue{"String", "old-" + op.Name}
		case 1:
			d.keys[op.Key][op.Name] = regValue{"DWord", int64(r.IntN(3))}
		case 2:
			if !op.Delete {
				d.keys[op.Key][op.Name] = regValue{op.Type, op.Value}
			}
		}
		if r.IntN(4) == 0 {
			d.keys[op.Key]["Unrelated"] = regValue{"MultiString", []string{"a", "b"}}
		}
	}
	if r.IntN(5) == 0 {
		d.keys[`HKLM:\SOFTWARE\mdeproxyc`] = map[string]regValue{}
	}
	if r.IntN(3) > 0 {
		d.mp = &recMp{ProxyServer: []string{"", "old:1"}[r.IntN(2)], ProxyBypass: [][]string{nil, {"x", "y"}}[r.IntN(2)]}
	}
	if r.IntN(3) > 0 {
		d.winHTTP = &recWinHTTP{AccessType: 1 + 2*r.IntN(2), ProxyServer: "", BypassList: ""}
		if d.winHTTP.AccessType == 3 {
			d.winHTTP.ProxyServer = "old:3128"
		}
	}
	if r.IntN(3) > 0 {
		d.agent = &agent{proxy: []string{"", "old-gw:8080"}[r.IntN(2)], readable: r.IntN(4) > 0}
	}
	return d
}

// goldenSetScripts parses the Set-MdeProxy.ps1 of every profile of the
// golden bundle.
func goldenSetScripts(t *testing.T) []scriptData {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*", "*", "windows", "Set-MdeProxy.ps1"))
	if err != nil || len(paths) < 5 {
		t.Fatalf("%d golden Set-MdeProxy.ps1 (%v)", len(paths), err)
	}
	var data [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b)
	}
	var out []scriptData
	for _, f := range validators.ParsePowerShell(t, data...) {
		out = append(out, readScriptData(t, f))
	}
	return out
}

// TestUndoExact: for every profile of the golden bundle and many device
// states, -Undo after one or more applies leaves the device exactly as it was
// before the first apply — every value and key the applies changed or created,
// the record and its parents — apart from an agent whose proxy could not be
// read, which the undo leaves alone (and never calls SetProxyInfo on). A
// component that starts answering between applies is recorded by the later
// apply before it is changed.
func TestUndoExact(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 8))
	checked := 0
	for _, s := range goldenSetScripts(t) {
		for i := range 300 {
			before := randomDevice(r, s)
			d := before.clone()
			if res := d.apply(s); len(res.failures) > 0 {
				t.Fatalf("%s #%d: apply failed: %v", s.profile, i, res.failures)
			}
			if i%3 == 1 {
				// Components start answering before a second apply.
				if d.mp == nil {
					d.mp, before.mp = &recMp{ProxyServer: "later:1"}, &recMp{ProxyServer: "later:1"}
				}
				if d.winHTTP == nil {
					d.winHTTP, before.winHTTP = &recWinHTTP{AccessType: 1}, &recWinHTTP{AccessType: 1}
				}
				if d.agent == nil {
					d.agent, before.agent = &agent{proxy: "later-gw:1", readable: true}, &agent{proxy: "later-gw:1", readable: true}
				}
				if res := d.apply(s); len(res.failures) > 0 {
					t.Fatalf("%s #%d: second apply failed: %v", s.profile, i, res.failures)
				}
			}
			sets := 0
			if d.agent != nil {
				sets = d.agent.sets
			}
			if res := d.undo(s); len(res.failures) > 0 {
				t.Fatalf("%s #%d: undo failed: %v", s.profile, i, res.failures)
			}
			unreadable := before.agent != nil && !before.agent.readable
			if diff := equalDevices(before, d, unreadable); diff != "" {
				t.Errorf("%s #%d: after -Undo: %s", s.profile, i, diff)
			}
			if unreadable && d.agent.sets != sets {
				t.Errorf("%s #%d: -Undo called SetProxyInfo on an agent whose proxy it never read", s.profile, i)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Errorf("%d device states checked", checked)
	}
}

// TestUnreadableRecordKept: a record key without its State value (a first
// apply interrupted between New-Item and New-ItemProperty), or a record an
// older script wrote with a skip line in place of the preferences, makes the
// apply change nothing and the undo fail, and both keep it.
func TestUnreadableRecordKept(t *testing.T) {
	s := goldenSetScripts(t)[0]
	skipLine, _ := json.Marshal(map[string]any{"Profile": s.profile, "Registry": []any{}, "MpPreference": []any{"skip MpPreference: Defender Antivirus is not running", nil}, "WinHttp": nil, "Mma": nil})
	for name, rec := range map[string]map[string]regValue{
		"no State":                {},
		"not JSON":                {"State": {"String", "{"}},
		"skip line":               {"State": {"String", string(skipLine)}},
		"other profile":           {"State": {"String", `{"Profile":"x","Registry":[],"CreatedKeys":[],"MpPreference":null,"WinHttp":null,"Mma":null}`}},
		"missing a part":          {"State": {"String", `{"Profile":"` + s.profile + `","Registry":[]}`}},
		"an entry without Exists": {"State": {"String", `{"Profile":"` + s.profile + `","Registry":[{"Key":"HKLM:\\A","Name":"N","Kind":"","Value":null}],"CreatedKeys":[],"MpPreference":null,"WinHttp":null,"Mma":null}`}},
	} {
		d := randomDevice(rand.New(rand.NewPCG(1, 2)), s)
		d.createKey(s.backupKey)
		d.keys[s.backupKey] = rec
		before := d.clone()
		if res := d.apply(s); len(res.failures) == 0 {
			t.Errorf("%s: apply trusted the record", name)
		}
		if diff := equalDevices(before, d, false); diff != "" {
			t.Errorf("%s: apply changed the device: %s", name, diff)
		}
		if res := d.undo(s); len(res.failures) == 0 {
			t.Errorf("%s: undo trusted the record", name)
		}
		if diff := equalDevices(before, d, false); diff != "" {
			t.Errorf("%s: undo changed the device: %s", name, diff)
		}
	}
}

// TestRecordRoundTrip: a record written in the script's format (every kind of
// prior value, every part present or not) reads back the same; and the field
// names the model writes are exactly those the script's Test-Record checks.
func TestRecordRoundTrip(t *testing.T) {
	recs := []record{
		{Profile: "p", Registry: []recEntry{}, CreatedKeys: []string{}},
		{Profile: "p", Registry: []recEntry{
			{Key: `HKLM:\SOFTWARE\Policies\Microsoft\Windows Defender`, Name: "ProxyServer", Exists: true, Kind: "String", Value: "a:1 'quoted' \"x\" ; %PATH%"},
			{Key: `HKLM:\A`, Name: "D", Exists: true, Kind: "DWord", Value: int64(-1)},
			{Key: `HKLM:\A`, Name: "M", Exists: true, Kind: "MultiString", Value: []string{"a", "", "b"}},
			{Key: `HKLM:\A`, Name: "E", Exists: true, Kind: "ExpandString", Value: "%SystemRoot%"},
			{Key: `HKLM:\A`, Name: "Gone", Exists: false, Kind: "", Value: nil},
		}, CreatedKeys: []string{`HKLM:\SOFTWARE\mdeproxyc`, `HKLM:\SOFTWARE\mdeproxyc\Backup`},
			MpPreference: &recMp{ProxyServer: "s:1", ProxyPacUrl: "http://p/x.pac", ProxyBypass: []string{"a", "b"}},
			WinHttp:      &recWinHTTP{AccessType: 3, ProxyServer: "w:1", BypassList: "<local>"},
			Mma:          &recMma{Readable: true, ProxyUrl: "g:1"}},
	}
	for i, rec := range recs {
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeRecord(string(data), "p")
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !reflect.DeepEqual(*back, rec) {
			t.Errorf("record %d:\n wrote %+v\n read  %+v", i, rec, *back)
		}
	}
	// A record of an older script, without CreatedKeys, is read whole and
	// lists no created keys.
	old := `{"Profile":"p","Registry":[{"Key":"HKLM:\\A","Name":"N","Exists":true,"Kind":"DWord","Value":1}],"MpPreference":null,"WinHttp":null,"Mma":null}`
	if back, err := decodeRecord(old, "p"); err != nil || len(back.CreatedKeys) != 0 || back.Registry[0].Value != int64(1) {
		t.Errorf("a record without CreatedKeys: %+v, %v", back, err)
	}
	// The script's Test-Record names the same fields.
	tree := validators.ParsePowerShellTree(t, setScript(testfleet.Profile(t, "hq")))[0]
	p := newProgram(&tree)
	lits := map[string]bool{}
	p.funcs["test-record"].Walk(func(n *validators.PSNode) bool {
		if n.Type == "string_literal" {
			lits[strings.Trim(n.Source(), "'")] = true
		}
		return true
	})
	for part, fields := range recordFields() {
		for _, f := range fields {
			if !lits[f] {
				t.Errorf("%s.%s: the model writes it, the script's Test-Record does not check it", part, f)
			}
		}
	}
	if !lits["Registry"] || !lits["CreatedKeys"] || !lits["Mma"] {
		t.Errorf("Test-Record's literals %v: the scan found too few", slices.Sorted(maps.Keys(lits)))
	}
}

// TestUndoKeepsRecordOnFailure: when a step of the undo fails (Defender
// Antivirus stopped answering), the other steps run, the record stays, and a
// later -Undo, once Defender answers again, finishes the job exactly.
func TestUndoKeepsRecordOnFailure(t *testing.T) {
	s := goldenSetScripts(t)[0]
	before := randomDevice(rand.New(rand.NewPCG(3, 4)), s)
	before.mp = &recMp{ProxyServer: "old:1"}
	d := before.clone()
	if res := d.apply(s); len(res.failures) > 0 {
		t.Fatal(res.failures)
	}
	applied := d.mp
	d.mp = nil
	if res := d.undo(s); len(res.failures) != 1 {
		t.Fatalf("undo with Defender silent: failures %v, want the MpPreference one", res.failures)
	}
	if _, ok := d.keys[s.backupKey]; !ok {
		t.Fatal("the record was removed after a failed step")
	}
	d.mp = applied
	if res := d.undo(s); len(res.failures) > 0 {
		t.Fatal(res.failures)
	}
	if diff := equalDevices(before, d, before.agent != nil && !before.agent.readable); diff != "" {
		t.Errorf("after the second -Undo: %s", diff)
	}
}
