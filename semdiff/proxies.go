package semdiff

import (
	"fmt"
	"slices"

	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// ProxyChange is what one proxy must newly let through, or may stop letting
// through, between two versions of a fleet: the proxy team's work list
// (allow the added before devices move, remove the removed only after).
type ProxyChange struct {
	// Proxy is the proxy's host:port, or its folder under proxy/ for a site
	// without an explicit proxy.
	Proxy   string   `json:"proxy"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// proxyChanges compares, per proxy, the destinations (host:port) the two
// versions' proxy side lists; a proxy only one version has is all added or
// all removed.
func proxyChanges(old, new []*model.Profile) ([]ProxyChange, error) {
	lists := func(ps []*model.Profile) (map[string][]string, error) {
		xs, err := endpoints.FleetProxies(ps)
		if err != nil {
			return nil, err
		}
		out := map[string][]string{}
		for _, x := range xs {
			key := x.HostPort
			if key == "" {
				key = x.Dir
			}
			for _, e := range x.Destinations() {
				out[key] = append(out[key], fmt.Sprintf("%s:%d", e.Host, e.Port))
			}
		}
		return out, nil
	}
	ol, err := lists(old)
	if err != nil {
		return nil, err
	}
	nl, err := lists(new)
	if err != nil {
		return nil, err
	}
	var out []ProxyChange
	for _, k := range keys(ol, nl) {
		c := ProxyChange{Proxy: k, Added: minus(nl[k], ol[k]), Removed: minus(ol[k], nl[k])}
		if len(c.Added)+len(c.Removed) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// minus lists, sorted, the elements of a that b lacks.
func minus(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		if !slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}
