package compile

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits that consumers of the artifacts impose (docs/cli-safety.md names the
// sources): a value over one is an error here, not a broken deployment.
const (
	// maxPacURL is the longest PAC URL accepted: the de facto URL limit of
	// Windows' URL handling and browsers, and a bound on every script that
	// carries it.
	maxPacURL = 2048
	// maxIdentifier is the longest macOS PayloadIdentifier accepted: a
	// preference domain is a file name on the Mac (at most 255 bytes).
	maxIdentifier = 255
)

// tooLong reports a value over a limit in characters, or "".
func tooLong(s string, limit int) string {
	if n := utf8.RuneCountInString(s); n > limit {
		return fmt.Sprintf("%d characters is too long (at most %d)", n, limit)
	}
	return ""
}

// nonCharacter reports U+FFFE or U+FFFF: JSON carries them, but XML cannot
// (the mobileconfig would hold U+FFFD instead), so artifacts would disagree.
func nonCharacter(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool { return r == 0xFFFE || r == 0xFFFF }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("contains the noncharacter %U, which XML (the mobileconfig) cannot carry", r)
	}
	return ""
}

// displayNameGrammar is text that is not blank: Graph requires a display name
// for every Intune object.
var displayNameGrammar = grammar{
	check: plain(func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "a blank display name; Graph requires one"
		}
		return checkText(s)
	}),
	allowed: "a non-blank " + textGrammar.allowed + "; unique among profiles",
}
