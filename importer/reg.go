package importer

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// MaxInput bounds every input file: configuration files are small, and a
// larger one is a mistake (a disk image, a log).
const MaxInput = 16 << 20

func stripBOM(d []byte) []byte {
	return bytes.TrimPrefix(d, []byte{0xef, 0xbb, 0xbf})
}

// decodeText turns a file as Windows tools write it into a string:
// UTF-16LE with a byte-order mark, UTF-8 (with or without one), or, when
// the bytes are not UTF-8, the ANSI code page of Western Windows (1252).
func decodeText(d []byte) (string, error) {
	if len(d) >= 2 && d[0] == 0xff && d[1] == 0xfe {
		d = d[2:]
		if len(d)%2 != 0 {
			return "", errors.New("UTF-16 text with an odd number of bytes")
		}
		u := make([]uint16, len(d)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(d[2*i:])
		}
		return string(utf16.Decode(u)), nil
	}
	if len(d) >= 2 && d[0] == 0xfe && d[1] == 0xff {
		return "", errors.New("UTF-16 big-endian text; save it as UTF-16LE (regedit's \"Unicode\") or UTF-8")
	}
	d = stripBOM(d)
	if utf8.Valid(d) {
		return string(d), nil
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(d)
	return string(s), err
}

// regLine is a logical line of a .reg file with its first physical line's number.
type regLine struct {
	n    int
	text string
}

// readReg reads a .reg file as regedit writes it (version 5.00 or REGEDIT4).
func (r *reader) readReg(in Input) error {
	text, err := decodeText(in.Data)
	if err != nil {
		return err
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	phys := strings.Split(text, "\n")
	var lines []regLine
	for i := 0; i < len(phys); i++ {
		l := regLine{n: i + 1, text: phys[i]}
		// A value's hex data continues on the next line after a backslash.
		for strings.HasSuffix(strings.TrimRight(l.text, " \t"), `\`) && i+1 < len(phys) && !strings.HasPrefix(strings.TrimSpace(l.text), "[") {
			l.text = strings.TrimSuffix(strings.TrimRight(l.text, " \t"), `\`) + strings.TrimSpace(phys[i+1])
			i++
		}
		lines = append(lines, l)
	}
	header := ""
	for len(lines) > 0 && strings.TrimSpace(lines[0].text) == "" {
		lines = lines[1:]
	}
	if len(lines) > 0 {
		header = strings.TrimSpace(lines[0].text)
		lines = lines[1:]
	}
	var unicode bool
	switch header {
	case "Windows Registry Editor Version 5.00":
		unicode = true
	case "REGEDIT4":
		unicode = false
	default:
		return fmt.Errorf("line 1: not a .reg file: it starts with %s; allowed: \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"", strconv.Quote(header))
	}
	r.kinds["windows"] = true
	key, sawKey, deleted := "", false, false
	for _, l := range lines {
		t := strings.TrimSpace(l.text)
		at := fmt.Sprintf("line %d", l.n)
		switch {
		case t == "" || strings.HasPrefix(t, ";"):
			continue
		case strings.HasPrefix(t, "[-") && strings.HasSuffix(t, "]"):
			k, ok := machineKey(t[2 : len(t)-1])
			key, sawKey, deleted = "", true, true
			if !ok {
				r.warnf(in.Name, "%s: not imported: the deletion of key %s (outside HKEY_LOCAL_MACHINE)", at, strconv.Quote(t[2:len(t)-1]))
				continue
			}
			r.deleteKey(in.Name, at, k)
			continue
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			var ok bool
			key, ok = machineKey(t[1 : len(t)-1])
			sawKey, deleted = true, false
			if !ok {
				r.warnf(in.Name, "%s: not imported: key %s is outside HKEY_LOCAL_MACHINE", at, strconv.Quote(t[1:len(t)-1]))
			}
			continue
		}
		name, rest, err := regName(t)
		if err != nil {
			return fmt.Errorf("%s: %v", at, err)
		}
		if !sawKey {
			return fmt.Errorf("%s: a value before any [key] line", at)
		}
		if key == "" {
			if deleted {
				r.warnf(in.Name, "%s: not imported: value %s below a key deletion", at, strconv.Quote(name))
			}
			// Otherwise below a key that is not imported (reported at the key).
			continue
		}
		o, err := regData(rest, unicode)
		if err != nil {
			return fmt.Errorf("%s: value %s: %v", at, strconv.Quote(name), err)
		}
		o.From = origin{in.Name, at}
		r.regValue(in.Name, key, name, o)
	}
	return nil
}

// machineKey returns a key's path below HKEY_LOCAL_MACHINE.
func machineKey(full string) (string, bool) {
	for _, root := range []string{regplan.Hive, "HKLM"} {
		if len(full) > len(root) && strings.EqualFold(full[:len(root)+1], root+`\`) {
			return full[len(root)+1:], true
		}
	}
	return "", false
}

// regName splits `"name"=data` (or `@=data`) into the unescaped name and the data.
func regName(t string) (string, string, error) {
	if strings.HasPrefix(t, "@=") {
		return "", t[2:], nil
	}
	if !strings.HasPrefix(t, `"`) {
		return "", "", fmt.Errorf("expected a quoted value name, [key] or a comment; found %s", strconv.Quote(short(t)))
	}
	s, rest, err := regString(t)
	if err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(rest, "=") {
		return "", "", fmt.Errorf("expected = after the value name %s", strconv.Quote(s))
	}
	return s, strings.TrimSpace(rest[1:]), nil
}

// regString reads a quoted .reg string (\\ and \" escaped) at the start of t.
func regString(t string) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(t); i++ {
		switch t[i] {
		case '\\':
			if i+1 < len(t) {
				i++
				b.WriteByte(t[i])
				continue
			}
		case '"':
			return b.String(), strings.TrimSpace(t[i+1:]), nil
		default:
			b.WriteByte(t[i])
		}
	}
	return "", "", errors.New("unterminated string")
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// regData parses a value's data: "string", dword:, hex(N): or - (delete).
func regData(rest string, unicode bool) (obs, error) {
	switch {
	case rest == "-":
		return obs{Present: false}, nil
	case strings.HasPrefix(rest, `"`):
		s, tail, err := regString(rest)
		if err != nil {
			return obs{}, err
		}
		if tail != "" {
			return obs{}, fmt.Errorf("unexpected %s after the string", strconv.Quote(short(tail)))
		}
		return obs{Present: true, Type: regSZ, Value: s}, nil
	case strings.HasPrefix(strings.ToLower(rest), "dword:"):
		h := rest[len("dword:"):]
		if len(h) != 8 {
			return obs{}, fmt.Errorf("dword:%s: want 8 hex digits", h)
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return obs{}, fmt.Errorf("dword:%s: want 8 hex digits", h)
		}
		return obs{Present: true, Type: regDWord, Value: strconv.FormatUint(v, 10)}, nil
	case strings.HasPrefix(strings.ToLower(rest), "hex"):
		typ := uint32(regBinary)
		h := rest[3:]
		if strings.HasPrefix(h, "(") {
			end := strings.IndexByte(h, ')')
			if end < 0 {
				return obs{}, errors.New("hex( without )")
			}
			t, err := strconv.ParseUint(h[1:end], 16, 32)
			if err != nil {
				return obs{}, fmt.Errorf("hex(%s): not a type number", h[1:end])
			}
			typ, h = uint32(t), h[end+1:]
		}
		if !strings.HasPrefix(h, ":") {
			return obs{}, errors.New("expected : after hex")
		}
		h = strings.NewReplacer(",", "", " ", "", "\t", "").Replace(h[1:])
		data, err := hex.DecodeString(h)
		if err != nil {
			return obs{}, errors.New("hex data: expected comma-separated pairs of hex digits")
		}
		return typedData(typ, data, unicode), nil
	}
	return obs{}, fmt.Errorf("unknown data %s; allowed: \"text\", dword:00000001, hex(7):…, or - to delete", strconv.Quote(short(rest)))
}

// typedData decodes registry data of a type; unicode says strings are
// UTF-16LE (version 5.00 files and Registry.pol) rather than ANSI (REGEDIT4).
func typedData(typ uint32, data []byte, unicode bool) obs {
	o := obs{Present: true, Type: typ}
	str := func(b []byte) []string {
		var s string
		if unicode {
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = binary.LittleEndian.Uint16(b[2*i:])
			}
			s = string(utf16.Decode(u))
		} else {
			s = string(b)
		}
		return strings.Split(s, "\x00")
	}
	switch typ {
	case regSZ, regExpandSZ:
		o.Value = str(data)[0]
	case regDWord:
		if len(data) == 4 {
			o.Value = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(data)), 10)
		} else {
			o.Type, o.Value = regBinary, hex.EncodeToString(data)
		}
	case regMultiSZ:
		parts := str(data)
		// Entries end at the first empty string (the list's terminator).
		for _, p := range parts {
			if p == "" {
				break
			}
			o.List = append(o.List, p)
		}
		o.Value = strings.Join(o.List, regplan.BypassSeparator)
	default:
		o.Value = hex.EncodeToString(data)
	}
	return o
}

// regValue records a registry value below HKLM, or warns that the plan does
// not manage it.
func (r *reader) regValue(file, key, name string, o obs) {
	id := regID(key, name)
	e, ok := plan.byID[id]
	if !ok {
		what := "value"
		if name == "" {
			what, name = "default value", "@"
		}
		r.warnf(file, "%s: not imported: %s %s of [%s\\%s]: mdeproxyc manages only Defender's proxy values", o.From.Where, what, strconv.Quote(name), regplan.Hive, key)
		return
	}
	if !o.Present {
		o.Type = uint32(e.Type)
	}
	r.add(id, e.Name, o)
}

// deleteKey records a key deletion as the deletion of every value the plan
// manages below it; mdeproxyc never deletes a key, so the build deletes the
// values and leaves the key.
func (r *reader) deleteKey(file, at, key string) {
	lk := strings.ToLower(key)
	n := 0
	for _, e := range plan.entries {
		if lk == strings.ToLower(e.Key) || strings.HasPrefix(strings.ToLower(e.Key), lk+`\`) {
			r.add(e.id(), e.Name, obs{Present: false, Type: uint32(e.Type), From: origin{file, at}})
			n++
		}
	}
	r.warnf(file, "%s: the deletion of key [%s\\%s] is imported as the deletion of the %d proxy values below it; mdeproxyc never deletes a key", at, regplan.Hive, key, n)
}

// readPol reads a Registry.pol (PReg) file of machine policy.
func (r *reader) readPol(in Input) error {
	recs, err := pol.Decode(in.Data)
	if err != nil {
		return err
	}
	r.kinds["windows"] = true
	for i, rec := range recs {
		at := fmt.Sprintf("record %d", i+1)
		name := rec.Name
		lower := strings.ToLower(name)
		switch {
		case strings.HasPrefix(lower, strings.ToLower(pol.DeletePrefix)):
			r.regValue(in.Name, rec.Key, name[len(pol.DeletePrefix):], obs{Present: false, From: origin{in.Name, at}})
		case lower == "**delvals.":
			r.deleteKey(in.Name, at, rec.Key)
		case strings.HasPrefix(name, "**"):
			r.warnf(in.Name, "%s: not imported: the Group Policy command %s on [%s]", at, strconv.Quote(name), rec.Key)
		default:
			o := typedData(rec.Type, rec.Data, true)
			o.From = origin{in.Name, at}
			r.regValue(in.Name, rec.Key, name, o)
		}
	}
	return nil
}
