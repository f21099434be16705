package textfile

import (
	"strings"
	"testing"
)

func TestSplitRender(t *testing.T) {
	s := MustSplit("x.ps1", "a\r\nb\n# data\nc\n", "# data", CRLF)
	if got := string(s.RenderText("x = 1\ny = 2\n")); got != "a\r\nb\r\nx = 1\r\ny = 2\r\nc\r\n" {
		t.Errorf("CRLF render = %q", got)
	}
	s = MustSplit("x.sh", "# data\nc\n", "# data", LF)
	if got := string(s.RenderText("v=1\n")); got != "v=1\nc\n" {
		t.Errorf("marker on the first line: %q", got)
	}
	s = MustSplit("x.sh", "a\n# data", "# data", LF)
	if got := string(s.RenderText("v=1\n")); got != "a\nv=1\n" {
		t.Errorf("marker on the last line without a line end: %q", got)
	}
}

// A marker that is missing, doubled or only part of a line is refused.
func TestSplitRefuses(t *testing.T) {
	for _, src := range []string{"a\nb\n", "# data\n# data\n", "x # data\n", "# data x\n"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "exactly once") {
					t.Errorf("%q: recovered %v, want the marker panic", src, r)
				}
			}()
			MustSplit("x", src, "# data", LF)
		}()
	}
}

func TestTemplateMissingKey(t *testing.T) {
	tm := MustTemplate("d.md", "a {{.Name}}\r\n")
	if got := Execute(tm, map[string]string{"Name": "b"}); got != "a b\n" {
		t.Errorf("got %q", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "d.md") {
			t.Errorf("recovered %v, want a panic naming the template", r)
		}
	}()
	Execute(tm, map[string]string{})
}
