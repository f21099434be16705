package compile

import (
	"fmt"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/schema"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is the shape of a setting's value in the intent language.
type kind int

const (
	kindGroup      kind = iota // a struct of further settings
	kindString                 // a string checked by a grammar
	kindBool                   // true or false
	kindStringList             // a list of strings, each checked by a grammar
	kindIgnoreList             // lint.ignore: a list of {rule, reason}
)

// grammar checks one string value: it returns the zero problem when the value
// is allowed. allowed says, for the user, what the grammar accepts.
type grammar struct {
	check   func(string) problem
	allowed string
}

// problem is what a grammar found wrong with a value: a short statement, and
// the vet rule the rejection belongs to when it is one of the domain's
// documented traps (a scheme on TelemetryProxyServer, say), so that the
// diagnostic carries the rule as data.
type problem struct {
	msg  string
	rule string
}

// bad reports whether the value was rejected.
func (p problem) bad() bool { return p.msg != "" }

// plain wraps a check that belongs to no vet rule.
func plain(check func(string) string) func(string) problem {
	return func(s string) problem { return problem{msg: check(s)} }
}

// ruled marks a rejection as a finding of a vet rule.
func ruled(rule, msg string) problem { return problem{msg: msg, rule: rule} }

// field describes one setting of the intent language. The table of them is
// read from the embedded schema (schema.go): the schema is the one source of
// the language's shape, and the Go grammars add what a pattern cannot say.
type field struct {
	path    string
	kind    kind
	grammar *grammar
	// unique rejects duplicate list entries.
	unique bool
	// nonEmpty rejects an empty list.
	nonEmpty bool
}

// fieldTable lists every setting of #Settings in the schema's order.
var fieldTable = mustFieldsFromSchema(schema.CUE)

// fields indexes fieldTable by path.
var fields = func() map[string]*field {
	m := make(map[string]*field, len(fieldTable))
	for i := range fieldTable {
		m[fieldTable[i].path] = &fieldTable[i]
	}
	return m
}()

// childNames lists the settings allowed directly below a group ("" is the top of
// a profile), for "did you mean" suggestions and "allowed" lists.
func childNames(group string) []string {
	var names []string
	for _, f := range fieldTable {
		parent, name := splitPath(f.path)
		if parent == group {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func splitPath(p string) (parent, name string) {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// profileNameRE is the grammar of profile names (safe as a folder name everywhere).
var profileNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

const profileNameAllowed = "1 to 63 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"

// lintRuleRE is the form of a vet rule ID.
var lintRuleRE = regexp.MustCompile(`^MDE[0-9]{3}$`)

func enumGrammar(values ...string) *grammar {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return &grammar{
		check: plain(func(s string) string {
			for _, v := range values {
				if s == v {
					return ""
				}
			}
			return "not one of the allowed values"
		}),
		allowed: strings.Join(quoted, " or "),
	}
}

var textGrammar = grammar{
	check:   plain(checkText),
	allowed: "text on one line, at most 1024 characters, no control, line-separator or bidirectional-override characters, no U+FFFE or U+FFFF",
}

// TextProblem says what the intent's grammar for free text (descriptions,
// names, the organization) finds wrong with s, or "" when a fleet may hold
// it: tests that generate text judge only what a fleet can carry.
func TextProblem(s string) string { return checkText(s) }

func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > maxTextRunes {
		return fmt.Sprintf("%d characters is too long", n)
	}
	for _, r := range s {
		if isHiddenControl(r) {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return nonCharacter(s)
}

// isHiddenControl reports characters that end a line or reorder text somewhere
// (C0 and C1 controls, DEL, U+2028/U+2029, bidi overrides): free text carries
// none of them, so no artifact shows something other than what it does.
func isHiddenControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

const maxTextRunes = 1024

var hostPortGrammar = grammar{
	check:   checkHostPort,
	allowed: `"host:port": host a DNS name, an IPv4 address or a bracketed IPv6 address ([2001:db8::1]), port 1-65535, no scheme`,
}

var proxyURLGrammar = grammar{
	check:   func(s string) problem { return checkProxyURL(s, "http", "https") },
	allowed: `"http://host:port" or "https://host:port" (host a DNS name, IPv4 or [IPv6]; port 1-65535; nothing after the port but an optional "/")`,
}

var linuxURLGrammar = grammar{
	check:   func(s string) problem { return checkProxyURL(s, "http") },
	allowed: `"http://host:port" (host a DNS name, IPv4 or [IPv6]; port 1-65535; nothing after the port but an optional "/"); mdatp supports no https, PAC or authenticated proxy`,
}

var pacGrammar = grammar{
	check:   checkPacURL,
	allowed: `"http://" or "https://" URL: host, optional :port, optional path of letters, digits and . _ ~ / - (no query, no user:password@), at most 2048 characters`,
}

var bypassGrammar = grammar{
	check:   plain(checkBypass),
	allowed: `"<local>", a host name, an IPv4 address, or a pattern with "*" labels ("*.contoso.com", "10.*")`,
}

var identifierGrammar = grammar{
	check: plain(func(s string) string {
		if !identifierRE.MatchString(s) {
			return "not a reverse-DNS identifier"
		}
		return tooLong(s, maxIdentifier)
	}),
	allowed: `a reverse-DNS identifier such as "com.contoso.mde.proxy": two or more dot-separated parts of letters, digits, '-' or '_', at most 255 characters`,
}

var identifierRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$`)

// labelRE is one DNS label: letters, digits and inner hyphens, at most 63 characters.
var labelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkHost accepts a DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address.
func checkHost(h string) string {
	if h == "" {
		return "the host is empty"
	}
	if h[0] == '[' {
		if h[len(h)-1] != ']' {
			return "an IPv6 address must be closed with ']'"
		}
		inner := h[1 : len(h)-1]
		for i := 0; i < len(inner); i++ {
			c := inner[i]
			if !(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return fmt.Sprintf("the IPv6 address contains %q", c)
			}
		}
		a, err := netip.ParseAddr(inner)
		if err != nil || !a.Is6() || a.Is4In6() && strings.Contains(inner, ".") {
			return fmt.Sprintf("%q is not an IPv6 address", inner)
		}
		return ""
	}
	if bad := firstDisallowed(h, isHostChar); bad != "" {
		return "the host contains " + bad
	}
	if len(h) > 253 {
		return "the host name is longer than 253 characters"
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" {
			return "the host has an empty label (two dots, or a dot at an end)"
		}
		if !labelRE.MatchString(l) {
			return fmt.Sprintf("the host label %q must be 1-63 letters, digits or inner hyphens", l)
		}
	}
	// A name whose last label is numeric can only be an IPv4 address.
	if isDigits(labels[len(labels)-1]) {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is4() {
			return fmt.Sprintf("%q is not a valid IPv4 address (four numbers 0-255)", h)
		}
	}
	return ""
}

func isHostChar(r rune) bool {
	return r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// firstDisallowed names the first character of s that ok rejects, or "".
func firstDisallowed(s string, ok func(rune) bool) string {
	for _, r := range s {
		if !ok(r) {
			switch {
			case r == ' ':
				return "a space"
			case isHiddenControl(r):
				return fmt.Sprintf("the control character %U", r)
			default:
				return strconv.QuoteRune(r)
			}
		}
	}
	return ""
}

func checkPort(p string) string {
	if p == "" {
		return "the port is missing after ':'"
	}
	if !isDigits(p) {
		return fmt.Sprintf("the port %q is not a number", p)
	}
	if len(p) > 1 && p[0] == '0' {
		return fmt.Sprintf("the port %q has a leading zero", p)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %s is out of range", p)
	}
	return ""
}

// splitHostPort splits host:port, where host may be a bracketed IPv6 address.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 || j+1 >= len(s) || s[j+1] != ':' {
			return s, "", false
		}
		return s[:j+1], s[j+2:], true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func checkHostPort(s string) problem {
	if strings.Contains(s, "://") {
		return ruled(diag.RuleScheme, "a scheme is not allowed here (write host:port, without http://)")
	}
	host, port, ok := splitHostPort(s)
	if !ok {
		if bad := firstDisallowed(s, func(r rune) bool { return isHostChar(r) || strings.ContainsRune("[]:", r) }); bad != "" {
			return problem{msg: "contains " + bad}
		}
		return problem{msg: "the port is missing (write host:port)"}
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return problem{msg: "an IPv6 address must be in brackets: [2001:db8::1]:8080"}
	}
	if p := checkHost(host); p != "" {
		return problem{msg: p}
	}
	return problem{msg: checkPort(port)}
}

func checkProxyURL(s string, schemes ...string) problem {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ruled(diag.RuleScheme, fmt.Sprintf("the scheme is missing (write %s://host:port)", schemes[0]))
	}
	if !slices.Contains(schemes, scheme) {
		return problem{msg: fmt.Sprintf("the scheme %q is not allowed", scheme)}
	}
	if strings.Contains(rest, "@") {
		return ruled(diag.RuleAuthenticatedProxy, "user:password@ is not allowed: Defender does not support authenticated proxies")
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.Contains(rest, "/") {
		return problem{msg: "a path is not allowed after host:port"}
	}
	return checkHostPort(rest)
}

func checkPacURL(s string) problem {
	if p := tooLong(s, maxPacURL); p != "" {
		return problem{msg: p}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ruled(diag.RuleScheme, "the scheme is missing (write http:// or https://)")
	}
	if scheme != "http" && scheme != "https" {
		return problem{msg: fmt.Sprintf("the scheme %q is not allowed", scheme)}
	}
	if strings.Contains(rest, "@") {
		return ruled(diag.RuleAuthenticatedProxy, "user:password@ is not allowed")
	}
	authority, path, hasPath := strings.Cut(rest, "/")
	if hasPath {
		if bad := firstDisallowed(path, func(r rune) bool {
			return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~/-", r)
		}); bad != "" {
			return problem{msg: "the path contains " + bad}
		}
	}
	if host, port, ok := splitHostPort(authority); ok {
		if p := checkHost(host); p != "" {
			return problem{msg: p}
		}
		return problem{msg: checkPort(port)}
	}
	return problem{msg: checkHost(authority)}
}

func checkBypass(s string) string {
	if s == "<local>" {
		return ""
	}
	if bad := firstDisallowed(s, func(r rune) bool { return isHostChar(r) || r == '*' }); bad != "" {
		return "contains " + bad
	}
	if len(s) > 253 {
		return "longer than 253 characters"
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			return "has an empty label (two dots, or a dot at an end)"
		}
		if l != "*" && !labelRE.MatchString(l) {
			return fmt.Sprintf("the label %q must be \"*\" or 1-63 letters, digits or inner hyphens", l)
		}
	}
	return ""
}

// groupIDRE is a GUID as Entra writes a group's object ID.
var groupIDRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

const groupIDAllowed = `an Entra group object ID: a GUID such as "8d2f6c1e-4b7a-4f3e-9c55-2a1b3c4d5e6f" (8-4-4-4-12 hexadecimal digits); copy it from the group's Overview page`

var groupIDGrammar = grammar{
	check: plain(func(s string) string {
		if !groupIDRE.MatchString(s) {
			return "not a GUID"
		}
		return ""
	}),
	allowed: groupIDAllowed,
}

var assignmentTargetGrammar = grammar{
	check: plain(func(s string) string {
		if s == model.AllDevices || groupIDRE.MatchString(s) {
			return ""
		}
		if strings.EqualFold(s, model.AllDevices) {
			return fmt.Sprintf("%q is spelled %q", s, model.AllDevices)
		}
		return "neither a GUID nor \"allDevices\""
	}),
	allowed: `"allDevices", or ` + groupIDAllowed,
}

// scopeTagRE is an Intune role scope tag's ID as mdeproxyc accepts it.
var scopeTagRE = regexp.MustCompile(`^[0-9]{1,10}$`)

var scopeTagGrammar = grammar{
	check: plain(func(s string) string {
		if !scopeTagRE.MatchString(s) {
			return "not a scope tag ID"
		}
		return ""
	}),
	allowed: `an Intune role scope tag's ID: 1 to 10 decimal digits, such as "0" or "12"`,
}
