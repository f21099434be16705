//go:build linux

// Command bench measures `mdeproxyc build` against `cue export` of the same
// fleet unified with the project's own schema — what a user doing this job in
// plain CUE would run — in the same run, and reports wall time and peak RSS as
// ratios. `task bench` runs it; docs/PERFORMANCE.md records its output.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mdeproxyc/mdeproxyc/internal/fleetgen"
	"github.com/mdeproxyc/mdeproxyc/schema"
)

func main() {
	sizes := flag.String("sizes", "1000,10000,100000", "fleet sizes, comma-separated")
	mdeproxyc := flag.String("mdeproxyc", "", "path to the mdeproxyc binary (required)")
	cue := flag.String("cue", "cue", "path to the cue v0.17.1 binary")
	work := flag.String("work", "", "scratch folder (default: a temporary folder)")
	rounds := flag.Int("workflow", 0, "instead of the cue comparison, measure the build workflow (full, no-change and one-profile rebuilds against vet and cp -a) in this many interleaved rounds")
	baseline := flag.String("baseline", "", "with -workflow: another mdeproxyc binary (the code before a change), measured in the same rounds, interleaved")
	flag.Parse()
	if *mdeproxyc == "" {
		log.Fatal("-mdeproxyc is required")
	}
	dir := *work
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "mdeproxyc-bench-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	if *rounds > 0 {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				log.Fatal(err)
			}
			binaries := map[string]string{"mdeproxyc": *mdeproxyc}
			if *baseline != "" {
				binaries["baseline"] = *baseline
			}
			workflow(dir, n, *rounds, binaries)
		}
		return
	}
	cueVersion, _ := exec.Command(*cue, "version").Output()
	fmt.Printf("cue: %s\n", firstLine(cueVersion))
	fmt.Println("| profiles | mdeproxyc build | peak RSS | files | bytes | mdeproxyc vet | cue export | peak RSS | build time ratio | build RSS ratio | vet time ratio |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			log.Fatal(err)
		}
		measure(dir, n, *mdeproxyc, *cue)
	}
}

func measure(dir string, n int, mdeproxyc, cue string) {
	fleetDir := filepath.Join(dir, fmt.Sprintf("fleet-%d", n))
	cueDir := filepath.Join(dir, fmt.Sprintf("cue-%d", n))
	for _, d := range []string{fleetDir, cueDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	var fleet bytes.Buffer
	if err := fleetgen.Write(&fleet, n); err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(fleetDir, "fleet.cue"), fleet.Bytes())
	// The plain-CUE baseline: the same fleet, the project's schema in the same
	// package, and #Fleet embedded at the top level so that it applies.
	write(filepath.Join(cueDir, "fleet.cue"), fleet.Bytes())
	write(filepath.Join(cueDir, "schema.cue"), regexp.MustCompile(`(?m)^package schema$`).ReplaceAll(schema.CUE, []byte("package fleet")))
	write(filepath.Join(cueDir, "bind.cue"), []byte("package fleet\n\n#Fleet\n"))

	out := filepath.Join(dir, fmt.Sprintf("dist-%d", n))
	os.RemoveAll(out)
	ourTime, ourRSS := run("", mdeproxyc, "build", fleetDir, "-o", out)
	files, size := countFiles(out)
	vetTime, _ := run("", mdeproxyc, "vet", "--format", "json", fleetDir)
	cueTime, cueRSS := run(cueDir, cue, "export", "--out", "json", "--outfile", filepath.Join(dir, fmt.Sprintf("export-%d.json", n)), "--force", ".")
	fmt.Printf("| %d | %.2f s | %d MiB | %d | %d MiB | %.2f s | %.2f s | %d MiB | %.3f× | %.3f× | %.3f× |\n",
		n, ourTime.Seconds(), ourRSS>>20, files, size>>20, vetTime.Seconds(), cueTime.Seconds(), cueRSS>>20,
		ourTime.Seconds()/cueTime.Seconds(), float64(ourRSS)/float64(cueRSS), vetTime.Seconds()/cueTime.Seconds())
	os.RemoveAll(out)
}

// run executes a command in dir and returns its wall time and peak resident set size.
func run(dir, name string, args ...string) (time.Duration, int64) {
	m := measureRun(dir, name, args...)
	return m.wall, m.rss
}

// measured is what one run of a command took: wall time, CPU time (user and
// system: on a machine shared with other work, the wall time says as much
// about the others as about the command), peak resident set size.
type measured struct {
	wall, cpu time.Duration
	rss       int64
}

// measureRun executes a command in dir and measures it.
func measureRun(dir, name string, args ...string) measured {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return measured{wall: wall, cpu: cpu, rss: ru.Maxrss * 1024} // Linux reports kilobytes
}

func write(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func countFiles(dir string) (n int, size int64) {
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	return n, size
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
