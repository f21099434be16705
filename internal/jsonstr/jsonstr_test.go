package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendMatchesEncodingJSON: Append writes what encoding/json writes, with
// and without HTML escaping, for any string.
func FuzzAppendMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain/path.txt", `q"b\s`, "<a>&amp;", "tab\t\x00\x1f\x7f", "\u2028\u2029", "é😀", "\xff\xfe bad"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{true, false} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(s); err != nil {
				t.Fatal(err)
			}
			got := Append([]byte("x"), s, html)
			if !bytes.Equal(got, append([]byte("x"), bytes.TrimSuffix(want.Bytes(), []byte("\n"))...)) {
				t.Fatalf("html=%v: got %s, want %s", html, got, want.Bytes())
			}
		}
	})
}
