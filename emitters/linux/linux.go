// Package linux writes the Linux artifacts of a profile: the mdatp managed
// configuration file and a POSIX shell script that sets the proxy with mdatp.
package linux

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// The files this emitter writes, relative to a profile's folder.
const (
	ManagedPath = "linux/mdatp_managed.json"
	ScriptPath  = "linux/set-proxy.sh"
)

// ManagedFile is where mdatp reads managed settings on a device (docs/formats.md §8).
const ManagedFile = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json"

// Emitter is the Linux emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "linux" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "linux/mdatp_managed.json and set-proxy.sh: the mdatp proxy, as a managed file or a command"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Linux) {
		return nil, nil
	}
	managed, err := Managed(p.Profile)
	if err != nil {
		return nil, err
	}
	return []emitters.File{
		{Path: ManagedPath, Data: managed, Summary: "mdatp managed settings; install as `" + ManagedFile + "`"},
		{Path: ScriptPath, Data: Script(p.Profile), Executable: true, Summary: "POSIX shell script: `mdatp config proxy set` as root, with `--dry-run` and `--verify`"},
	}, nil
}

// managed is the documented shape of the managed file's proxy setting.
type managed struct {
	CloudService cloudService `json:"cloudService"`
}

type cloudService struct {
	// Proxy is omitted, never empty: "proxy": "" makes the agent fall back to a
	// built-in address and break (docs/formats.md §8).
	Proxy string `json:"proxy,omitempty"`
}

// Managed renders mdatp_managed.json: two-space indent, trailing newline.
func Managed(p *model.Profile) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(managed{CloudService: cloudService{Proxy: p.Linux.Proxy}}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// shQuote single-quotes a value for sh: inside single quotes nothing is
// special but the quote itself, which is closed, escaped and reopened.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Script renders set-proxy.sh: set-proxy.sh beside this file with the
// profile's variables in place of its data marker line. PROXY is empty in mode
// "auto".
func Script(p *model.Profile) []byte {
	return script.RenderText("PROFILE=" + shQuote(p.Name) + "\nPROXY=" + shQuote(p.Linux.Proxy) + "\n")
}

// script is set-proxy.sh split at its data marker once.
var script = textfile.MustSplit("set-proxy.sh", scriptSource, "# @@MDEPROXYC_DATA@@", textfile.LF)

//go:embed set-proxy.sh
var scriptSource string

// deployText is the profile README's section for this emitter: deploy.md
// beside this file, a text/template.
var deployText = textfile.MustTemplate("deploy.md", deploySource)

//go:embed deploy.md
var deploySource string

// Deploy implements emitters.Deployer.
func (Emitter) Deploy(p *emitters.Profile) string {
	return textfile.Execute(deployText, struct {
		*emitters.Profile
		ManagedFile, InstallProxy string
	}{p, ManagedFile, installProxy(p.Profile)})
}

func installProxy(p *model.Profile) string {
	if p.Linux.Proxy != "" {
		return p.Linux.Proxy
	}
	return "http://proxy:port"
}

// Locate implements emitters.Locator.
func (Emitter) Locate(p *emitters.Profile) []emitters.Location {
	if !p.Targets(model.Linux) || p.Linux.Proxy == "" {
		return nil
	}
	return []emitters.Location{
		{Setting: model.PathLinuxProxy, File: ManagedPath, Kind: "json", Where: "/cloudService/proxy", Value: p.Linux.Proxy},
		{Setting: model.PathLinuxProxy, File: ScriptPath, Kind: "text", Where: "PROXY=", Value: "PROXY=" + shQuote(p.Linux.Proxy)},
	}
}
