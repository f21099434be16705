//go:build linux

package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mdeproxyc/mdeproxyc/internal/fleetgen"
)

// workflow measures the issue-14 ratios at n profiles, in rounds that
// interleave every command so that the machine's load falls on all alike:
// vet; a full build into an empty folder; cp -a of the bundle it wrote; a
// rebuild with nothing changed; a rebuild after one profile's proxy changed.
// It prints each run and the medians, and the ratios of the medians.
func workflow(dir string, n, rounds int, mdeproxyc string) {
	fleetDir := filepath.Join(dir, fmt.Sprintf("wf-fleet-%d", n))
	if err := os.MkdirAll(fleetDir, 0o755); err != nil {
		log.Fatal(err)
	}
	var fleet bytes.Buffer
	if err := fleetgen.Write(&fleet, n); err != nil {
		log.Fatal(err)
	}
	original := fleet.Bytes()
	// site-000002 has its own proxy; one port of it changes.
	changed := bytes.Replace(original, []byte(`"10.0.0.3:3128"`), []byte(`"10.0.0.3:3129"`), 1)
	if bytes.Equal(changed, original) {
		log.Fatal("fleetgen no longer writes site-000002's proxy as 10.0.0.3:3128")
	}
	fleetFile := filepath.Join(fleetDir, "fleet.cue")
	out := filepath.Join(dir, fmt.Sprintf("wf-dist-%d", n))
	cp := filepath.Join(dir, fmt.Sprintf("wf-cp-%d", n))
	// The builds keep their stamp books (bundle/stamps.go) in a cache of
	// the benchmark's own; the no-change rebuild is also timed without one
	// (MDEPROXYC_CACHE=off), as on a machine that never built this bundle.
	os.Setenv("MDEPROXYC_CACHE", filepath.Join(dir, "wf-cache"))
	defer os.RemoveAll(filepath.Join(dir, "wf-cache"))
	var vet, full, copyT, noop, cold, one []time.Duration
	var fullRSS, noopRSS, coldRSS, oneRSS int64
	fmt.Printf("| round | vet | full build | cp -a | no-change rebuild | same, no stamp book | one-profile rebuild |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for r := range rounds {
		write(fleetFile, original)
		os.RemoveAll(out)
		v, _ := run("", mdeproxyc, "vet", "--format", "json", fleetDir)
		f, rss := run("", mdeproxyc, "build", "-q", fleetDir, "-o", out)
		fullRSS = max(fullRSS, rss)
		os.RemoveAll(cp)
		c, _ := run("", "cp", "-a", out, cp)
		os.RemoveAll(cp)
		nc, rss := run("", mdeproxyc, "build", "-q", fleetDir, "-o", out)
		noopRSS = max(noopRSS, rss)
		cl, rss := runEnv([]string{"MDEPROXYC_CACHE=off"}, "", mdeproxyc, "build", "-q", fleetDir, "-o", out)
		coldRSS = max(coldRSS, rss)
		write(fleetFile, changed)
		o, rss := run("", mdeproxyc, "build", "-q", fleetDir, "-o", out)
		oneRSS = max(oneRSS, rss)
		vet, full, copyT, noop, cold, one = append(vet, v), append(full, f), append(copyT, c), append(noop, nc), append(cold, cl), append(one, o)
		fmt.Printf("| %d | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s |\n", r+1, v.Seconds(), f.Seconds(), c.Seconds(), nc.Seconds(), cl.Seconds(), o.Seconds())
	}
	mv, mf, mc, mn, ml, mo := median(vet), median(full), median(copyT), median(noop), median(cold), median(one)
	fmt.Printf("\nmedians at %d profiles: vet %.2f s, full build %.2f s, cp -a %.2f s, no-change %.2f s (%.2f s without a stamp book), one profile %.2f s\n", n, mv, mf, mc, mn, ml, mo)
	fmt.Printf("full build ÷ (vet + cp -a): %.2f× (target ≤ 1.3×)\n", mf/(mv+mc))
	fmt.Printf("no-change rebuild ÷ vet:   %.2f× (target ≤ 2×); without a stamp book %.2f×\n", mn/mv, ml/mv)
	fmt.Printf("one-profile rebuild ÷ full: %.2f× (target ≤ 0.5×)\n", mo/mf)
	fmt.Printf("peak RSS: full %d MiB, no-change %d MiB (%d MiB without a stamp book), one profile %d MiB (target ≤ 256 MiB at 10,000)\n", fullRSS>>20, noopRSS>>20, coldRSS>>20, oneRSS>>20)
	write(fleetFile, original)
	os.RemoveAll(out)
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m.Seconds()
}
