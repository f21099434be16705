package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
)

// endpointRow is one destination as `mdeproxyc endpoints` prints it.
type endpointRow struct {
	Destination string `json:"destination"`
	Port        int    `json:"port"`
	Service     string `json:"service"`
	Platforms   string `json:"platforms"`
	Source      string `json:"source"`
	SourceURL   string `json:"sourceUrl"`
	SourceDate  string `json:"sourceDate"`
}

// endpoints prints the catalogue's destinations for one profile: its
// connectivity mode, region, platforms and components (docs/endpoints.md).
func (c *cli) endpoints(ctx context.Context, args []string) error {
	fs := c.flags("endpoints")
	profile := fs.StringP("profile", "p", "", "the profile whose destinations to print (required)")
	format := fs.String("format", "text", "output format: text, json or csv")
	if stop, err := c.parse(fs, args, 1); stop {
		return err
	}
	if *profile == "" {
		return usagef("endpoints: --profile NAME is required")
	}
	if *format != "text" && *format != "json" && *format != "csv" {
		return usagef("endpoints: unknown format %q; formats are: text, json, csv", *format)
	}
	ps, err := c.compileFleet(ctx, dirArg(fs), compile.Options{Profiles: []string{*profile}})
	if err != nil {
		return err
	}
	p := ps[0]
	cat := endpoints.Default()
	var rows []endpointRow
	for _, e := range cat.For(p) {
		s := cat.Sources[e.Source]
		pls := make([]string, 0, len(e.Platforms))
		for _, pl := range e.Platforms {
			if p.Targets(pl) {
				pls = append(pls, string(pl))
			}
		}
		rows = append(rows, endpointRow{Destination: e.Host + e.Path, Port: e.Port, Service: e.Service,
			Platforms: strings.Join(pls, " "), Source: s.Title, SourceURL: s.URL, SourceDate: s.Date})
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		region := string(p.Region)
		enc.Encode(struct {
			Profile      string        `json:"profile"`
			Connectivity string        `json:"connectivity"`
			Region       string        `json:"region"`
			Retrieved    string        `json:"retrieved"`
			Destinations []endpointRow `json:"destinations"`
		}{p.Name, string(p.Connectivity), region, cat.Retrieved, rows})
	case "csv":
		w := csv.NewWriter(c.stdout)
		w.Write([]string{"destination", "port", "service", "platforms", "source", "source_url", "source_date"})
		for _, r := range rows {
			w.Write([]string{r.Destination, strconv.Itoa(r.Port), r.Service, r.Platforms, r.Source, r.SourceURL, r.SourceDate})
		}
		w.Flush()
	default:
		region := string(p.Region)
		if region == "" {
			region = "not set (every commercial region)"
		}
		fmt.Fprintf(c.stdout, "profile %s: connectivity %s, region %s; catalogue retrieved %s (docs/endpoints.md)\n\n", p.Name, p.Connectivity, region, cat.Retrieved)
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DESTINATION\tPORT\tPLATFORMS\tSERVICE\tSOURCE (DATE)")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s (%s)\n", r.Destination, r.Port, r.Platforms, r.Service, r.Source, r.SourceDate)
		}
		tw.Flush()
	}
	return nil
}
