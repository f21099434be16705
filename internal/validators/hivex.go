package validators

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// Value is a registry value as a consumer read it back.
type Value struct {
	// Type is the consumer's name for the type: "string" or "dword".
	Type string
	Data string
}

// Values maps a key (relative to HKLM, as `SOFTWARE\...`) to its values by name.
type Values map[string]map[string]Value

// RegText decodes a .reg file (UTF-16LE with BOM) into text, for consumers
// that read 8-bit files only. It fails on anything but UTF-16LE with a BOM.
func RegText(data []byte) (string, error) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xFE || len(data)%2 != 0 {
		return "", fmt.Errorf("not UTF-16LE with a byte-order mark")
	}
	u := make([]uint16, 0, len(data)/2-1)
	for i := 2; i < len(data); i += 2 {
		u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
	}
	return string(utf16.Decode(u)), nil
}

// HivexMerge merges a .reg file into a fresh hive with hivexregedit — a strict
// parser: it rejects unterminated strings, malformed dwords and a key right
// after a value — and reads every value back with hivexml. Keys are rooted at
// HKEY_LOCAL_MACHINE\SOFTWARE; their ancestors are created first, since hivex
// does not create parents.
func HivexMerge(t testing.TB, reg []byte) (Values, error) {
	t.Helper()
	regedit := Tool(t, "hivexregedit")
	hivexml := Tool(t, "hivexml")
	text, err := RegText(reg)
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	hive := writeFile(t, dir, "SOFTWARE", EmptyHive(), 0o644)
	const prefix = `HKEY_LOCAL_MACHINE\SOFTWARE`
	prelude := "Windows Registry Editor Version 5.00\n\n"
	for _, k := range ancestors(text, prefix) {
		prelude += "[" + prefix + `\` + k + "]\n\n"
	}
	body, err := latin1(strings.ReplaceAll(text, "\r\n", "\n"))
	if err != nil {
		return nil, err
	}
	for i, content := range [][]byte{[]byte(prelude), body} {
		file := writeFile(t, dir, fmt.Sprintf("%d.reg", i), content, 0o644)
		out, err := exec.Command(regedit, "--merge", "--prefix", prefix, hive, file).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("hivexregedit rejected the file: %v\n%s", err, out)
		}
	}
	out, err := exec.Command(hivexml, hive).Output()
	if err != nil {
		return nil, fmt.Errorf("hivexml: %v", err)
	}
	return parseHivexml(out)
}

// latin1 encodes text one byte a character: hivexregedit reads a .reg file as
// 8-bit text and stores each byte as one character.
func latin1(text string) ([]byte, error) {
	out := make([]byte, 0, len(text))
	for _, r := range text {
		if r > 0xFF {
			return nil, fmt.Errorf("hivex reads 8-bit .reg files: %q cannot be checked with it (use Wine)", r)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// ancestors lists every proper ancestor of the keys named in a .reg text,
// below prefix, parents first.
func ancestors(text, prefix string) []string {
	set := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "[") {
			continue
		}
		key := strings.TrimPrefix(strings.Trim(line, "[]-"), prefix+`\`)
		parts := strings.Split(key, `\`)
		for i := 1; i < len(parts); i++ {
			set[strings.Join(parts[:i], `\`)] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.Count(out[i], `\`) < strings.Count(out[j], `\`) || strings.Count(out[i], `\`) == strings.Count(out[j], `\`) && out[i] < out[j]
	})
	return out
}

type xmlNode struct {
	Name   string     `xml:"name,attr"`
	Root   string     `xml:"root,attr"`
	Values []xmlValue `xml:"value"`
	Nodes  []xmlNode  `xml:"node"`
}

type xmlValue struct {
	Type  string `xml:"type,attr"`
	Key   string `xml:"key,attr"`
	Value string `xml:"value,attr"`
}

func parseHivexml(data []byte) (Values, error) {
	var doc struct {
		Node xmlNode `xml:"node"`
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("hivexml output: %v", err)
	}
	vals := Values{}
	var bad error
	var walk func(n xmlNode, path string)
	walk = func(n xmlNode, path string) {
		for _, v := range n.Values {
			if vals[path] == nil {
				vals[path] = map[string]Value{}
			}
			typ, data := v.Type, v.Value
			if typ == "int32" {
				// hivexml prints REG_DWORD as a signed number.
				n, err := strconv.ParseInt(data, 10, 32)
				if err != nil {
					bad = fmt.Errorf("hivexml dword %q: %v", data, err)
				}
				typ, data = "dword", strconv.FormatUint(uint64(uint32(int32(n))), 10)
			}
			vals[path][v.Key] = Value{Type: typ, Data: data}
		}
		for _, c := range n.Nodes {
			walk(c, path+`\`+c.Name)
		}
	}
	walk(doc.Node, "SOFTWARE")
	return vals, bad
}
