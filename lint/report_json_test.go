package lint

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// FuzzJSONMatchesEncodingJSON: vet's hand-written JSON is, byte for byte, what
// encoding/json's indenting Encoder writes for the same findings, whatever
// the strings hold (quotes, control characters, HTML, U+2028, invalid UTF-8).
func FuzzJSONMatchesEncodingJSON(f *testing.F) {
	f.Add("MDE001", "a.cue", 3, 7, `profiles.hq.proxy`, `plain message`, 2)
	f.Add("", "", 0, 0, "", "", 1)
	f.Add("MDE0\"05", "d\\ir/<b>&.cue", 1, 0, "p\u2028q", "tab\there\x00nul \xff bad é 😀 </script>", 3)
	f.Fuzz(func(t *testing.T, rule, file string, line, col int, path, msg string, n int) {
		var l diag.List
		for i := range n % 4 {
			l = append(l, diag.Diagnostic{Pos: model.Pos{File: file, Line: line + i, Col: col}, Path: path, Severity: diag.Severity(i % 3), Rule: rule, Msg: msg})
		}
		var got bytes.Buffer
		if err := writeJSON(&got, l); err != nil {
			t.Fatal(err)
		}
		out := make([]JSONFinding, len(l))
		for i, d := range l {
			out[i] = JSONFinding{Rule: d.Rule, Severity: d.Severity.String(), File: filepath.ToSlash(d.Pos.File), Line: d.Pos.Line, Column: d.Pos.Col, Path: d.Path, Message: d.Msg}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("got\n%s\nwant\n%s", got.Bytes(), want.Bytes())
		}
	})
}
