package readme

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// hostileText are descriptions that, unescaped, render as something other
// than the text: headings, lists, quotes, code, rules, tables, links, HTML.
var hostileText = []string{
	"## Not a heading",
	"# h1",
	"1. not a list",
	"12) not a list",
	"- not a list",
	"+ not a list",
	"* not a list",
	"---",
	"***",
	"___",
	"> not a quote",
	"    not code",
	"`not code`",
	"see https://evil.example.com/x now",
	"see http://evil.example.com",
	"www.evil.example.com",
	"mail admin@evil.example.com",
	"[link](https://evil.example.com)",
	"![img](https://evil.example.com/i.png)",
	"<https://evil.example.com>",
	"<b>bold</b> &amp; <!-- c -->",
	"**strong** _em_ ~~del~~",
	"a | b | c",
	"[^1] footnote",
	"[ref]: https://evil.example.com",
	"trailing backslash \\",
	"Kiosks: sensor proxy only",
	"Headquarters, Seattle",
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// TestMdRendersAsText renders every hostile text through a GitHub-flavoured
// Markdown renderer (goldmark with the GFM extensions, linkify included),
// at the start of a line and in a table cell, and requires one plain
// paragraph or cell whose text is the input.
func TestMdRendersAsText(t *testing.T) {
	gfm := goldmark.New(goldmark.WithExtensions(extension.GFM))
	render := func(src string) string {
		var out bytes.Buffer
		if err := gfm.Convert([]byte(src), &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, s := range hostileText {
		got := render("# Title\n\n" + md(s) + "\n\nOrganization: " + md(s) + "\n")
		body := strings.TrimPrefix(got, "<h1>Title</h1>\n")
		want := "<p>" + html.EscapeString(s) + "</p>\n<p>Organization: " + html.EscapeString(s) + "</p>\n"
		if plain := html.UnescapeString(tagRE.ReplaceAllString(body, "")); !strings.HasPrefix(body, "<p>") ||
			strings.Count(body, "<") != 4 || plain != s+"\nOrganization: "+s+"\n" {
			t.Errorf("%q renders as\n%s\nwant\n%s", s, body, want)
		}
		table := render("| Setting | Value |\n| --- | --- |\n| Name | " + md(s) + " |\n")
		cell := regexp.MustCompile(`(?s)<td>(.*?)</td>`).FindAllStringSubmatch(table, -1)
		if len(cell) != 2 || strings.Contains(cell[1][1], "<") || strings.TrimSpace(html.UnescapeString(cell[1][1])) != strings.TrimSpace(s) {
			t.Errorf("%q in a table cell renders as\n%s", s, table)
		}
	}
}

// TestMdKeepsPlainText: text without markup is not changed, so the example
// bundle's READMEs stay as they are.
func TestMdKeepsPlainText(t *testing.T) {
	for _, s := range []string{"Headquarters, Seattle", "Kiosks: sensor proxy only", "MDE proxy — offline domain controllers", "Static proxy for DCs; revocation checks off because CRLs are unreachable"} {
		if got := md(s); got != s {
			t.Errorf("md(%q) = %q", s, got)
		}
	}
}
