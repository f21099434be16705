//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/mdeproxyc/mdeproxyc/internal/fleetgen"
)

// workflowRuns is what one binary's rounds measured.
type workflowRuns struct {
	name                        string
	vet, full, copyT, noop, one []time.Duration
	// The same runs' CPU time (user + system).
	vetC, fullC, copyC, noopC, oneC []time.Duration
	fullRSS, noopRSS, oneRSS        int64
}

// workflow measures the build workflow at n profiles, in rounds that
// interleave every command, and every binary (baseline, when given, then
// mdeproxyc; the other way round every other round), so that the machine's
// load falls on all alike: vet; a full build into an empty folder; cp -a of
// the bundle it wrote; a rebuild with nothing changed (every carried file
// checked by content); a rebuild after one profile's proxy changed. It
// prints each run, the medians, and the ratios of the medians against the
// targets of docs/PERFORMANCE.md.
func workflow(dir string, n, rounds int, binaries map[string]string) {
	fleetDir := filepath.Join(dir, fmt.Sprintf("wf-fleet-%d", n))
	if err := os.MkdirAll(fleetDir, 0o755); err != nil {
		log.Fatal(err)
	}
	original, changed, err := editedFleet(n)
	if err != nil {
		log.Fatal(err)
	}
	fleetFile := filepath.Join(fleetDir, "fleet.cue")
	out := filepath.Join(dir, fmt.Sprintf("wf-dist-%d", n))
	cp := filepath.Join(dir, fmt.Sprintf("wf-cp-%d", n))
	names := slices.Sorted(maps.Keys(binaries))
	runs := map[string]*workflowRuns{}
	for _, name := range names {
		runs[name] = &workflowRuns{name: name}
	}
	fmt.Printf("wall time (CPU time, user + system, in parentheses)\n\n| round | binary | vet | full build | cp -a | no-change rebuild | one-profile rebuild |\n| ---: | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for r := range rounds {
		order := slices.Clone(names)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, name := range order {
			bin, w := binaries[name], runs[name]
			write(fleetFile, original)
			os.RemoveAll(out)
			v := measureRun("", bin, "vet", "--format", "json", fleetDir)
			f := measureRun("", bin, "build", "-q", fleetDir, "-o", out)
			w.fullRSS = max(w.fullRSS, f.rss)
			os.RemoveAll(cp)
			c := measureRun("", "cp", "-a", out, cp)
			os.RemoveAll(cp)
			nc := measureRun("", bin, "build", "-q", fleetDir, "-o", out)
			w.noopRSS = max(w.noopRSS, nc.rss)
			write(fleetFile, changed)
			o := measureRun("", bin, "build", "-q", fleetDir, "-o", out)
			w.oneRSS = max(w.oneRSS, o.rss)
			w.vet, w.full, w.copyT, w.noop, w.one = append(w.vet, v.wall), append(w.full, f.wall), append(w.copyT, c.wall), append(w.noop, nc.wall), append(w.one, o.wall)
			w.vetC, w.fullC, w.copyC, w.noopC, w.oneC = append(w.vetC, v.cpu), append(w.fullC, f.cpu), append(w.copyC, c.cpu), append(w.noopC, nc.cpu), append(w.oneC, o.cpu)
			fmt.Printf("| %d | %s | %.2f s (%.2f) | %.2f s (%.2f) | %.2f s (%.2f) | %.2f s (%.2f) | %.2f s (%.2f) |\n", r+1, name,
				v.wall.Seconds(), v.cpu.Seconds(), f.wall.Seconds(), f.cpu.Seconds(), c.wall.Seconds(), c.cpu.Seconds(), nc.wall.Seconds(), nc.cpu.Seconds(), o.wall.Seconds(), o.cpu.Seconds())
		}
	}
	for _, name := range names {
		w := runs[name]
		mv, mf, mc, mn, mo := median(w.vet), median(w.full), median(w.copyT), median(w.noop), median(w.one)
		fmt.Printf("\n%s, medians at %d profiles: vet %.2f s, full build %.2f s, cp -a %.2f s, no-change %.2f s, one profile %.2f s\n", name, n, mv, mf, mc, mn, mo)
		fmt.Printf("  full build ÷ (vet + cp -a):      %.2f× (target ≤ 1.3×)\n", mf/(mv+mc))
		fmt.Printf("  one-profile rebuild ÷ full:      %.2f× (target ≤ 0.5×)\n", mo/mf)
		fmt.Printf("  no-change rebuild ÷ cp -a:       %.2f× (target ≤ 0.5×)\n", mn/mc)
		cv, cf, cc, cn, co := median(w.vetC), median(w.fullC), median(w.copyC), median(w.noopC), median(w.oneC)
		fmt.Printf("  by CPU time: full ÷ (vet + cp -a) %.2f×, one ÷ full %.2f×, no-change ÷ cp -a %.2f× (medians %.2f, %.2f, %.2f, %.2f, %.2f s)\n",
			cf/(cv+cc), co/cf, cn/cc, cv, cf, cc, cn, co)
		fmt.Printf("  spread (min–max): full %.2f–%.2f s, no-change %.2f–%.2f s, one %.2f–%.2f s, cp -a %.2f–%.2f s\n",
			slices.Min(w.full).Seconds(), slices.Max(w.full).Seconds(), slices.Min(w.noop).Seconds(), slices.Max(w.noop).Seconds(),
			slices.Min(w.one).Seconds(), slices.Max(w.one).Seconds(), slices.Min(w.copyT).Seconds(), slices.Max(w.copyT).Seconds())
		fmt.Printf("  peak RSS: full %d MiB, no-change %d MiB, one profile %d MiB (target ≤ 256 MiB at 10,000)\n", w.fullRSS>>20, w.noopRSS>>20, w.oneRSS>>20)
	}
	write(fleetFile, original)
	os.RemoveAll(out)
}

// editedFleet is fleetgen's fleet of n profiles, and the same with one
// profile's proxy port changed (oneProfileEdit).
func editedFleet(n int) (original, changed []byte, err error) {
	var fleet bytes.Buffer
	if err := fleetgen.Write(&fleet, n); err != nil {
		return nil, nil, err
	}
	original = fleet.Bytes()
	changed, ok := oneProfileEdit(original)
	if !ok {
		return nil, nil, errors.New("fleetgen no longer writes a site's own proxy as 10.0.0.N:3128")
	}
	return original, changed, nil
}

// oneProfileEdit changes the port of the first site written with a proxy of
// its own (which site that is differs with the fleet's size); ok is false
// when fleet has none.
func oneProfileEdit(fleet []byte) (changed []byte, ok bool) {
	own := ownProxy.FindIndex(fleet)
	if own == nil {
		return nil, false
	}
	return slices.Concat(fleet[:own[1]-len(`3128"`)], []byte(`3129"`), fleet[own[1]:]), true
}

// ownProxy matches a site's own proxy in fleetgen's fleets.
var ownProxy = regexp.MustCompile(`proxy: +"10\.0\.0\.[0-9]+:3128"`)

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m.Seconds()
}
