package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	explainpkg "github.com/mdeproxyc/mdeproxyc/explain"
	"github.com/mdeproxyc/mdeproxyc/model"
)

func (c *cli) explain(ctx context.Context, args []string) error {
	fs := c.flags("explain")
	profiles := fs.StringSliceP("profile", "p", nil, "a profile to explain (required; repeatable, or comma-separated)")
	format := fs.String("format", "text", "output format: text or json (one JSON object per profile)")
	if stop, err := c.parse(fs, args, 1); stop {
		return err
	}
	if len(*profiles) == 0 {
		return usagef("explain: --profile NAME is required")
	}
	if *format != "text" && *format != "json" {
		return usagef("explain: unknown format %q; formats are: text, json", *format)
	}
	ps, err := c.compileFleet(ctx, dirArg(fs), compile.Options{Profiles: *profiles})
	if err != nil {
		return err
	}
	byName := map[string]*model.Profile{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	cwd, _ := os.Getwd()
	seen := map[string]bool{}
	for i, name := range *profiles {
		p := byName[name]
		if p == nil || seen[name] {
			continue
		}
		seen[name] = true
		relocate([]*model.Profile{p}, func(file string) string { return diag.RelPath(cwd, file) })
		rows := explainpkg.Profile(p, all.Emitters())
		if *format == "json" {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			enc.Encode(struct {
				Profile  string           `json:"profile"`
				Settings []explainpkg.Row `json:"settings"`
			}{p.Name, rows})
			continue
		}
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		explainpkg.WriteText(c.stdout, p.Name, rows)
	}
	return nil
}
