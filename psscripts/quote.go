package psscripts

import "strings"

// PSQuote writes s as a PowerShell single-quoted (verbatim) string. Inside one,
// nothing is special but a single quote, which is doubled — and PowerShell
// counts the typographic quotes U+2018, U+2019, U+201A and U+201B as single
// quotes too, so they are doubled as well.
func PSQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		b.WriteRune(r)
		if isPSSingleQuote(r) {
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func isPSSingleQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b'
}

// psArray writes a PowerShell array of single-quoted strings: @('a', 'b').
func psArray(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = PSQuote(s)
	}
	return "@(" + strings.Join(parts, ", ") + ")"
}
