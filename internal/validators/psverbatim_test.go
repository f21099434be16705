package validators

import (
	"slices"
	"strings"
	"testing"
)

// TestPSVerbatimAtFollowsTheSpec: the model reads the specification's own
// examples (red, and What's the time? with its quote doubled), takes each of the five
// single-quote-characters as an opening, closing and doubled quote, gives
// double quotes and $ no meaning, and refuses what is undefined or unended.
func TestPSVerbatimAtFollowsTheSpec(t *testing.T) {
	for _, c := range []struct {
		src, value string
		end        int // -1: an error
	}{
		{"'red' tail", "red", 5},
		{"''", "", 2},
		{"'What''s the time?'", "What's the time?", 19},
		{"\u2018red\u2019", "red", len("\u2018red\u2019")},
		{"\u201ared\u201b", "red", len("\u201ared\u201b")},
		{"'a\u201bb'", "a", len("'a\u201b")},
		{"'a\u2018b'", "a", len("'a\u2018")},
		{"'a\u2019b'", "a", len("'a\u2019")},
		{"'a\u201ab'", "a", len("'a\u201a")},
		{"'a\u201b\u201bb'", "a\u201bb", len("'a\u201b\u201bb'")},
		{"'a\u2018\u2018b\u2019\u2019'", "a\u2018b\u2019", len("'a\u2018\u2018b\u2019\u2019'")},
		{"'\"$(calc)\u201c`n'", "\"$(calc)\u201c`n", len("'\"$(calc)\u201c`n'")},
		{"'line\r\nnext'", "line\r\nnext", len("'line\r\nnext'")},
		{"'a'\u2019b'", "", -1},
		{"'never ends", "", -1},
		{"'ends on a pair''", "", -1},
		{"\"red\"", "", -1},
	} {
		v, end, err := PSVerbatimAt(c.src, 0)
		if c.end < 0 {
			if err == nil {
				t.Errorf("%q: read %q up to %d, want an error", c.src, v, end)
			}
			continue
		}
		if err != nil || v != c.value || end != c.end {
			t.Errorf("%q: %q up to %d (%v), want %q up to %d", c.src, v, end, err, c.value, c.end)
		}
	}
}

// TestPSBlockLiterals: literals come back with the name they are assigned
// to, in arrays and hashtables too; a block whose literal ends early shows
// it in the values, and one that never ends or holds a double quote is an
// error.
func TestPSBlockLiterals(t *testing.T) {
	block := IntentStart + " ----\r\n$Name = 'a''b'\r\n# a comment: 'not a literal\r\n$Links = @('x', \u2018y\u2019)\r\n" +
		"$Plan = @(\r\n    @{ Key = 'k'; Value = 2; Delete = $true }\r\n)\r\n" + IntentEnd + "\r\n$After = 'z'\r\n"
	got, err := PSIntentLiterals(block)
	want := []PSLiteral{{"$Name", "a'b"}, {"$Links", "x"}, {"$Links", "y"}, {"Key", "k"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
	early := strings.Replace(block, "'a''b'", "'a\u201bb; calc'", 1)
	if got, err := PSIntentLiterals(early); err == nil && slices.Equal(got, want) {
		t.Error("a literal that ends early went unnoticed")
	}
	for _, bad := range []string{
		IntentStart + "\r\n$Name = 'never ends\r\n" + IntentEnd + "\r\n",
		strings.Replace(block, "'a''b'", "\u201cab\u201d", 1),
		strings.Replace(block, IntentEnd, "# the end", 1),
		"no block",
	} {
		if got, err := PSIntentLiterals(bad); err == nil {
			t.Errorf("%q: read %q, want an error", bad, got)
		}
	}
}
