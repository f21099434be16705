package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// The English lines of `netsh winhttp show proxy` (docs/formats.md §6):
//
//	Current WinHTTP proxy settings:
//
//	    Proxy Server(s) :  proxy.contoso.com:8080
//	    Bypass List     :  <local>;*.contoso.com
//
// or "Direct access (no proxy server)." in place of the two settings, and
// "(none)" for an empty bypass list. The output is localized: any other
// language is refused rather than guessed at.
const (
	netshHeader = "Current WinHTTP proxy settings:"
	netshDirect = "Direct access (no proxy server)."
	netshProxy  = "Proxy Server(s)"
	netshBypass = "Bypass List"
	netshNone   = "(none)"
)

// readNetsh reads the output of `netsh winhttp show proxy`.
func (r *reader) readNetsh(in Input) error {
	text, err := decodeText(in.Data)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	header, direct := false, false
	var proxy, bypass *obs
	for i, l := range lines {
		t := strings.TrimSpace(l)
		at := fmt.Sprintf("line %d", i+1)
		switch {
		case t == "":
		case strings.EqualFold(t, netshHeader):
			header = true
		case !header:
			return errors.New("not the English output of `netsh winhttp show proxy` (the first line is not \"" + netshHeader + "\"); netsh's output is localized: run `netsh winhttp show proxy` with an English display language, or write windows.winhttp by hand")
		case strings.EqualFold(t, netshDirect):
			direct = true
		default:
			label, value, ok := strings.Cut(t, ":")
			label, value = strings.TrimSpace(label), strings.TrimSpace(value)
			switch {
			case ok && strings.EqualFold(label, netshProxy):
				proxy = &obs{Present: true, Value: value, From: origin{in.Name, at}}
			case ok && strings.EqualFold(label, netshBypass):
				if strings.EqualFold(value, netshNone) {
					value = ""
				}
				bypass = &obs{Present: true, Value: value, From: origin{in.Name, at}}
			default:
				return fmt.Errorf("%s: unexpected line %s in `netsh winhttp show proxy` output; expected %q, %q or %q", at, strconv.Quote(short(t)), netshProxy+" :", netshBypass+" :", netshDirect)
			}
		}
	}
	switch {
	case !header:
		return errors.New("empty: expected the output of `netsh winhttp show proxy`")
	case direct && proxy != nil:
		return errors.New("both a proxy server and \"" + netshDirect + "\"")
	case direct:
		r.kinds["windows"] = true
		r.add(keyWinHTTPProxy, "the WinHTTP proxy", obs{Present: false, From: origin{in.Name, "direct access"}})
		return nil
	case proxy == nil:
		return errors.New("no \"" + netshProxy + "\" line and no \"" + netshDirect + "\"")
	}
	r.kinds["windows"] = true
	r.add(keyWinHTTPProxy, "the WinHTTP proxy", *proxy)
	if bypass == nil {
		bypass = &obs{Present: true, From: proxy.From}
	}
	r.add(keyWinHTTPBypass, "the WinHTTP bypass list", *bypass)
	return nil
}

// splitBypass splits a bypass list written with the plan's separator.
func splitBypass(s string) []string {
	var out []string
	for _, e := range strings.Split(s, regplan.BypassSeparator) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
