package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// TestSARIFFromSubfolder: vet run from a subfolder of a repository names files
// relative to %SRCROOT%, the repository's root, which the log records; each
// location resolves to the file vet read, and the log passes Microsoft's
// SARIF Multitool.
func TestSARIFFromSubfolder(t *testing.T) {
	git := validators.Tool(t, "git")
	repo := t.TempDir()
	fleet := filepath.Join(repo, "infra", "mde", "fleet")
	if err := os.MkdirAll(fleet, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package fleet\n\ndefaults: proxy: \"proxy.contoso.com:8080\"\nprofiles: lab: windows: edr: proxy: \"[2001:db8::1]:8080\"\n"
	if err := os.WriteFile(filepath.Join(fleet, "f.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(git, "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	t.Chdir(filepath.Join(repo, "infra", "mde"))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"vet", "--format", "sarif", "fleet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("vet exit %d: %s", code, stderr.String())
	}
	var log struct {
		Runs []struct {
			OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
			Results            []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	base, err := url.Parse(run.OriginalURIBaseIDs["%SRCROOT%"].URI)
	if err != nil || base.Scheme != "file" {
		t.Fatalf("%%SRCROOT%% = %q (%v)", run.OriginalURIBaseIDs["%SRCROOT%"].URI, err)
	}
	if len(run.Results) != 1 || run.Results[0].RuleID != "MDE001" {
		t.Fatalf("results: %+v", run.Results)
	}
	loc := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation
	if loc.URIBaseID != "%SRCROOT%" || loc.URI != "infra/mde/fleet/f.cue" {
		t.Errorf("artifact %+v", loc)
	}
	ref, _ := url.Parse(loc.URI)
	resolved := base.ResolveReference(ref).Path
	if got, err := os.ReadFile(resolved); err != nil || string(got) != src {
		t.Errorf("the location resolves to %s, not the file vet read (%v)", resolved, err)
	}
	if err := validators.SarifMultitool(t, stdout.Bytes()); err != nil {
		t.Error(err)
	}
}
