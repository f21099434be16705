package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/importer"
)

// importCmd prints the profile that existing configuration files describe.
func (c *cli) importCmd(_ context.Context, args []string) error {
	fs := c.flags("import")
	profile := fs.StringP("profile", "p", "", "the profile's name (default: the name an Intune body names, else \"imported\")")
	if stop, err := c.parse(fs, args, 1<<20); stop {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("import: name at least one file: .reg, Registry.pol, netsh output, mdatp_managed.json, a com.microsoft.wdav plist or .mobileconfig, an Intune custom configuration")
	}
	var inputs []importer.Input
	for _, name := range fs.Args() {
		data, err := readInput(name)
		if err != nil {
			return fmt.Errorf("import: %s", diag.Escape(err.Error()))
		}
		inputs = append(inputs, importer.Input{Name: name, Data: data})
	}
	res, err := importer.Import(inputs, importer.Options{Profile: *profile})
	if err != nil {
		return fmt.Errorf("import: %s", diag.Escape(err.Error()))
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(c.stderr, "%s %s\n", c.paint(sgrYellow, "warning:"), diag.Escape(w))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(c.stderr, "note: %s\n", diag.Escape(n))
	}
	_, err = c.stdout.Write(res.CUE)
	return err
}

// readInput reads a regular file (or stdin for "-"), at most
// importer.MaxInput bytes.
func readInput(name string) ([]byte, error) {
	const max = importer.MaxInput
	var r io.Reader
	if name == "-" {
		r = os.Stdin
	} else {
		st, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", name)
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, max>>20)
	}
	return data, nil
}
