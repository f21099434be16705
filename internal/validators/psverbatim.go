package validators

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A model of how PowerShell lexes single-quoted (verbatim) string literals,
// written from the PowerShell Language Specification, §2.3.5.2 "String
// literals" (docs/windows.md, "PowerShell string literals"), and from nothing
// in mdeproxyc: the tree-sitter grammar that ParsePowerShell runs knows only
// the ASCII apostrophe as a quote, so it cannot tell whether a typographic
// quote in user text ends a literal. The specification's productions:
//
//	verbatim-string-literal:
//	    single-quote-character verbatim-string-characters~opt~ single-quote-char
//	single-quote-character:
//	    ' (U+0027)
//	    Left single quotation mark (U+2018)
//	    Right single quotation mark (U+2019)
//	    Single low-9 quotation mark (U+201A)
//	    Single high-reversed-9 quotation mark (U+201B)
//	verbatim-string-part:
//	    Any Unicode character except single-quote-character
//	    single-quote-character single-quote-character
//
// and for double quotes, which the intent blocks never use:
//
//	double-quote-character:
//	    " (U+0022)
//	    Left double quotation mark (U+201C)
//	    Right double quotation mark (U+201D)
//	    Double low-9 quotation mark (U+201E)
var (
	specSingleQuotes = map[rune]bool{0x0027: true, 0x2018: true, 0x2019: true, 0x201A: true, 0x201B: true}
	specDoubleQuotes = map[rune]bool{0x0022: true, 0x201C: true, 0x201D: true, 0x201E: true}
)

// PSVerbatimAt lexes the verbatim-string-literal that starts at byte offset
// start of src, as the specification reads it, and returns its value and the
// offset just past its closing quote. Two single-quote characters in a row
// stand for one; the specification lets the two differ but does not say
// which one the pair stands for, so a pair of two different characters is an
// error here (a quoting that doubles each quote never writes one).
func PSVerbatimAt(src string, start int) (value string, end int, err error) {
	r, n := utf8.DecodeRuneInString(src[start:])
	if !specSingleQuotes[r] {
		return "", 0, fmt.Errorf("offset %d: %q does not open a verbatim string literal", start, r)
	}
	var b strings.Builder
	for i := start + n; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		if !specSingleQuotes[r] {
			b.WriteRune(r)
			i += n
			continue
		}
		next, m := utf8.DecodeRuneInString(src[i+n:])
		if i+n == len(src) || !specSingleQuotes[next] {
			return b.String(), i + n, nil
		}
		if next != r {
			return "", 0, fmt.Errorf("offset %d: the quote pair %q%q leaves the literal's value undefined", i, r, next)
		}
		b.WriteRune(r)
		i += n + m
	}
	return "", 0, fmt.Errorf("offset %d: the verbatim string literal never ends", start)
}

// PSLiteral is a verbatim string literal of a script's intent block: the
// name before the nearest "=" to its left ("$GpoName", or a hashtable key
// such as "Key"), and its value.
type PSLiteral struct {
	Key, Value string
}

// IntentStart and IntentEnd delimit the intent block of the generated
// scripts of psscripts, gpo and configmgr.
const (
	IntentStart = "# ---- intent"
	IntentEnd   = "# ---- end of intent ----"
)

// PSIntentLiterals lexes the intent block of a generated script: see
// PSBlockLiterals.
func PSIntentLiterals(script string) ([]PSLiteral, error) {
	return PSBlockLiterals(script, IntentStart, IntentEnd)
}

// PSBlockLiterals lexes script from the first occurrence of begin up to a
// token that starts with end, with the model: whitespace, line ends,
// comments, verbatim string literals, and the words and punctuation of the
// few statement shapes data blocks have ("$Name = 'v'", "@('a', 'b')",
// "@{ Key = 'k'; Delete = $true }"). It returns the literals in order, or an
// error where the block holds anything else — a double-quote character, a
// literal that never ends, a quote pair of two characters — or never reaches
// end.
func PSBlockLiterals(script, begin, end string) ([]PSLiteral, error) {
	start := strings.Index(script, begin)
	if start < 0 {
		return nil, fmt.Errorf("no block starting %q", begin)
	}
	var out []PSLiteral
	key, word := "", ""
	for i := start; i < len(script); {
		if strings.HasPrefix(script[i:], end) {
			return out, nil
		}
		r, n := utf8.DecodeRuneInString(script[i:])
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			i += n
		case r == '#':
			eol := strings.IndexAny(script[i:], "\r\n")
			if eol < 0 {
				eol = len(script) - i
			}
			i += eol
		case specSingleQuotes[r]:
			v, next, err := PSVerbatimAt(script, i)
			if err != nil {
				return nil, err
			}
			out = append(out, PSLiteral{Key: key, Value: v})
			i, word = next, ""
		case specDoubleQuotes[r]:
			return nil, fmt.Errorf("offset %d: a double-quote character %q outside any verbatim literal", i, r)
		case r == '=':
			key, word = word, ""
			i += n
		case strings.ContainsRune(punctuation, r):
			word = ""
			i += n
		default:
			j := strings.IndexFunc(script[i:], endsWord)
			if j < 0 {
				j = len(script) - i
			}
			word = script[i : i+j]
			i += j
		}
	}
	return nil, fmt.Errorf("the block starting %q never reaches %q", begin, end)
}

// punctuation is what separates words in a data block besides white space,
// "=", "#" and quotes.
const punctuation = "@(){};,"

func endsWord(c rune) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#' || c == '=' ||
		strings.ContainsRune(punctuation, c) || specSingleQuotes[c] || specDoubleQuotes[c]
}
