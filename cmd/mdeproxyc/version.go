package main

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/mdeproxyc/mdeproxyc/internal/version"
)

func (c *cli) version(_ context.Context, args []string) error {
	fs := c.flags("version")
	if stop, err := c.parse(fs, args, 0); stop {
		return err
	}
	commit, goVersion := buildInfo()
	fmt.Fprintf(c.stdout, "mdeproxyc %s\n", version.Version)
	if version.Release != "" {
		fmt.Fprintf(c.stdout, "release: %s\n", version.Release)
	}
	fmt.Fprintf(c.stdout, "commit: %s\ngo: %s\n", commit, goVersion)
	return nil
}

// buildInfo returns the commit the binary was built from ("-dirty" when the
// work tree had changes; "unknown" when the build recorded none) and the Go
// version that built it.
func buildInfo() (string, string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return cmp.Or(version.Commit, "unknown"), runtime.Version()
	}
	rev, dirty := version.Commit, false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown (built without version control information)", info.GoVersion
	}
	if dirty {
		rev += "-dirty"
	}
	return rev, info.GoVersion
}
