package lint

import (
	"fmt"
	"strings"
)

// Reference renders docs/rules.md from the rule definitions; a test keeps the
// committed file in step.
func Reference() string {
	var b strings.Builder
	b.WriteString("# vet rules\n\n")
	b.WriteString("Generated from `lint/rules.go` by `MDEPROXYC_UPDATE_GOLDEN=1 go test ./lint`; do not edit.\n\n")
	b.WriteString("`mdeproxyc vet` reports these with their ID, severity and the file:line:col of the value that triggers them;\n")
	b.WriteString("`mdeproxyc vet --explain MDE004` prints one. `build` refuses to write a bundle while an error-level rule fires.\n")
	b.WriteString("A profile silences a rule with `lint: ignore: [{rule: \"MDE006\", reason: \"…\"}]` — the reason is required.\n")
	b.WriteString("Rules marked *grammar* are checked by the compiler itself and cannot be silenced.\n\n")
	b.WriteString("| ID | severity | rule |\n| --- | --- | --- |\n")
	for _, r := range Rules {
		kind := ""
		if r.Compile {
			kind = " (grammar)"
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s%s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, kind, r.Title)
	}
	for _, r := range Rules {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** — %s\n\n%s\n", r.ID, r.Severity, r.Title, r.Explain)
	}
	return b.String()
}
