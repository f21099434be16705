package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	_ "embed"
)

//go:embed starter/fleet.cue
var starterFleet []byte

func (c *cli) init(_ context.Context, args []string) error {
	fs := c.flags("init")
	if stop, err := c.parse(fs, args, 1); stop {
		return err
	}
	dir := dirArg(fs)
	if existing, _ := filepath.Glob(filepath.Join(dir, "*.cue")); len(existing) > 0 {
		return fmt.Errorf("%s already holds .cue files (%s); init writes only into a folder without them", dir, filepath.Base(existing[0]))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "fleet.cue")
	if err := os.WriteFile(path, starterFleet, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "wrote %s; build it with: mdeproxyc build %s -o dist\n", path, dir)
	return nil
}
