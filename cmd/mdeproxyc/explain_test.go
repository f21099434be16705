package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	howett "howett.net/plist"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/explain"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// TestExplainLocations checks every location explain names against the files
// of a built bundle: the file exists, the place exists, and it holds the value
// (or removes it, for deletions).
func TestExplainLocations(t *testing.T) {
	files := map[string][]byte{}
	for _, f := range buildExample(t) {
		files[f.Path] = f.Data
	}
	ps := compileExample(t)
	checked := map[string]int{}
	for _, p := range ps {
		for _, r := range explain.Profile(p, all.Emitters()) {
			for _, l := range r.Carried {
				data, ok := files[p.Name+"/"+l.File]
				if !ok {
					t.Errorf("%s %s: %s is not in the bundle", p.Name, r.Setting, l.File)
					continue
				}
				if l.Kind == "ps" {
					continue // checked below, all scripts in one parse
				}
				if err := resolve(data, l); err != nil {
					t.Errorf("%s %s in %s at %s: %v", p.Name, r.Setting, l.File, l.Where, err)
				}
				checked[l.Kind]++
			}
		}
	}
	checkPSLocations(t, files, ps)
	for _, k := range []string{"reg", "pol", "json", "plist", "text"} {
		if checked[k] == 0 {
			t.Errorf("no %s location was checked", k)
		}
	}
}

// resolve checks one location of a kind other than "ps" in a file's bytes.
func resolve(data []byte, l emitters.Location) error {
	switch l.Kind {
	case "reg":
		return checkReg(data, l)
	case "pol":
		return checkPol(data, l)
	case "json":
		return checkJSON(data, l)
	case "plist":
		return checkPlist(data, l)
	case "text":
		if !bytes.Contains(data, []byte(l.Value)) {
			return fmt.Errorf("%q not found", l.Value)
		}
		return nil
	}
	return fmt.Errorf("unknown kind %q", l.Kind)
}

func checkReg(data []byte, l emitters.Location) error {
	text, err := validators.RegText(data)
	if err != nil {
		return err
	}
	key, name, _ := strings.Cut(l.Where, "] ")
	at := strings.Index(text, key+"]")
	if at < 0 {
		return fmt.Errorf("key %s] not found", key)
	}
	block := text[at+len(key)+1:]
	if i := strings.Index(block, "\r\n\r\n"); i >= 0 {
		block = block[:i]
	}
	for _, line := range strings.Split(block, "\r\n") {
		rest, ok := strings.CutPrefix(line, name+"=")
		if !ok {
			continue
		}
		switch {
		case rest == "-":
			if !l.Deletes {
				return fmt.Errorf("the file deletes the value")
			}
			return nil
		case strings.HasPrefix(rest, "dword:"):
			d, _ := strconv.ParseUint(rest[6:], 16, 32)
			if strconv.FormatUint(d, 10) != l.Value || l.Deletes {
				return fmt.Errorf("dword %d, want %q", d, l.Value)
			}
			return nil
		default:
			v := strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(strings.Trim(rest, `"`))
			if v != l.Value || l.Deletes {
				return fmt.Errorf("string %q, want %q", v, l.Value)
			}
			return nil
		}
	}
	return fmt.Errorf("value %s not found under the key", name)
}

func checkPol(data []byte, l emitters.Location) error {
	recs, err := pol.Decode(data)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Key+";"+r.Name != l.Where {
			continue
		}
		if l.Deletes {
			return nil
		}
		var got string
		if r.Type == 4 {
			got = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(r.Data)), 10)
		} else {
			u := make([]uint16, len(r.Data)/2-1)
			for i := range u {
				u[i] = binary.LittleEndian.Uint16(r.Data[2*i:])
			}
			got = string(utf16.Decode(u))
		}
		if got != l.Value {
			return fmt.Errorf("record holds %q, want %q", got, l.Value)
		}
		return nil
	}
	return fmt.Errorf("record %s not found", l.Where)
}

func checkJSON(data []byte, l emitters.Location) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	for _, part := range strings.Split(strings.TrimPrefix(l.Where, "/"), "/") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, _ := strconv.Atoi(part)
			if i >= len(x) {
				return fmt.Errorf("index %d out of range", i)
			}
			v = x[i]
		default:
			return fmt.Errorf("nothing at %s", part)
		}
	}
	if got := fmt.Sprint(v); got != l.Value {
		return fmt.Errorf("holds %q, want %q", got, l.Value)
	}
	return nil
}

func checkPlist(data []byte, l emitters.Location) error {
	var v any
	if _, err := howett.Unmarshal(data, &v); err != nil {
		return err
	}
	for _, part := range strings.Split(l.Where, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, _ := strconv.Atoi(part)
			v = x[i]
		default:
			return fmt.Errorf("nothing at %s", part)
		}
	}
	if got := fmt.Sprint(v); got != l.Value {
		return fmt.Errorf("holds %q, want %q", got, l.Value)
	}
	return nil
}

// checkPSLocations parses every script once with the tree-sitter grammar and
// resolves $Plan[i].Value and $Var.Key locations in the parse tree.
func checkPSLocations(t *testing.T, files map[string][]byte, ps []*modelProfile) {
	var paths []string
	var scripts [][]byte
	for path, data := range files {
		if strings.HasSuffix(path, ".ps1") {
			paths = append(paths, path)
			scripts = append(scripts, data)
		}
	}
	parsed := map[string]validators.PSFile{}
	for i, f := range validators.ParsePowerShell(t, scripts...) {
		parsed[paths[i]] = f
	}
	n := 0
	for _, p := range ps {
		for _, r := range explain.Profile(p, all.Emitters()) {
			for _, l := range r.Carried {
				if l.Kind != "ps" {
					continue
				}
				n++
				if err := resolvePS(parsed[p.Name+"/"+l.File], l); err != nil {
					t.Errorf("%s %s in %s at %s: %v", p.Name, r.Setting, l.File, l.Where, err)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no PowerShell location was checked")
	}
}

func resolvePS(f validators.PSFile, l emitters.Location) error {
	var v validators.PSValue
	if rest, ok := strings.CutPrefix(l.Where, "$Plan["); ok {
		i, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ']')])
		plan, _ := f.Assigned("$Plan")
		entries, err := plan.Array()
		if err != nil || i >= len(entries) {
			return fmt.Errorf("no $Plan[%d]", i)
		}
		h, _ := entries[i].Hash()
		v = h["Value"]
	} else if variable, rest, ok := strings.Cut(l.Where, "["); ok && !strings.Contains(l.Where, ".") {
		// $Links[i]: an element of an array.
		i, _ := strconv.Atoi(strings.TrimSuffix(rest, "]"))
		a, _ := f.Assigned(variable)
		elems, err := a.Array()
		if err != nil || i >= len(elems) {
			return fmt.Errorf("no %s", l.Where)
		}
		v = elems[i]
	} else if !strings.Contains(l.Where, ".") {
		// $Name: a variable holding the value itself.
		a, ok := f.Assigned(l.Where)
		if !ok {
			return fmt.Errorf("no %s", l.Where)
		}
		v = a
	} else {
		variable, key, _ := strings.Cut(l.Where, ".")
		a, ok := f.Assigned(variable)
		if !ok {
			return fmt.Errorf("no %s", variable)
		}
		h, err := a.Hash()
		if err != nil {
			return err
		}
		v = h[key]
	}
	var got string
	switch v.Kind {
	case "string":
		got, _ = v.String()
	case "int":
		got = string(v.Value)
	case "variable":
		if l.Deletes && string(v.Value) == `"$null"` {
			return nil
		}
		return fmt.Errorf("variable %s", v.Value)
	case "array":
		elems, _ := v.Array()
		var parts []string
		for _, e := range elems {
			s, _ := e.String()
			parts = append(parts, s)
		}
		got = strings.Join(parts, ";")
	default:
		return fmt.Errorf("a %s", v.Kind)
	}
	if l.Deletes || got != l.Value {
		return fmt.Errorf("holds %q, want %q (deletes %v)", got, l.Value, l.Deletes)
	}
	return nil
}

// TestExplainResolversReject proves each resolver fails on a wrong value.
func TestExplainResolversReject(t *testing.T) {
	files := map[string][]byte{}
	for _, f := range buildExample(t) {
		files[f.Path] = f.Data
	}
	p := compileExample(t)[0] // berlin: every kind of location
	seen := map[string]bool{}
	for _, r := range explain.Profile(p, all.Emitters()) {
		for _, l := range r.Carried {
			if seen[l.Kind] || l.Deletes || l.Kind == "ps" {
				continue
			}
			seen[l.Kind] = true
			l.Value += "x"
			if resolve(files[p.Name+"/"+l.File], l) == nil {
				t.Errorf("%s resolver accepted a wrong value at %s", l.Kind, l.Where)
			}
		}
	}
	if len(seen) != 5 {
		t.Errorf("kinds covered: %v", seen)
	}
}
