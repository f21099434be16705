package winscript

import "unicode/utf8"

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// ifThen and listIf state the intent block's expectations independently of
// the emitter's own derivation.
func ifThen(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

func listIf(cond bool, l []string) []string {
	if cond {
		return l
	}
	return nil
}
