// Package bundle assembles every profile's files and the manifest into one
// bundle, writes it atomically, and compares it with a bundle on disk.
package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/version"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// ManifestPath is the manifest's path at the bundle's root.
const ManifestPath = "manifest.json"

// File is one file of the bundle.
type File struct {
	// Path is slash-separated and relative to the bundle root.
	Path       string
	Profile    string // empty for the manifest
	Target     string
	Data       []byte
	Executable bool
}

// Bundle is every file of a build, sorted by path, manifest included.
type Bundle struct {
	Files []File
}

// Assemble runs the emitters over every profile and adds the manifest. Profiles
// are independent, so they are emitted in parallel; the result does not depend on
// scheduling.
func Assemble(profiles []*model.Profile, list []emitters.Emitter) (*Bundle, error) {
	perProfile := make([][]File, len(profiles))
	errs := make([]error, len(profiles))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				perProfile[i], errs[i] = emitProfile(profiles[i], list)
			}
		}()
	}
	for i := range profiles {
		next <- i
	}
	close(next)
	wg.Wait()
	var all []File
	for i, fs := range perProfile {
		if errs[i] != nil {
			return nil, errs[i]
		}
		all = append(all, fs...)
	}
	slices.SortFunc(all, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for i := 1; i < len(all); i++ {
		if all[i].Path == all[i-1].Path {
			return nil, fmt.Errorf("internal error: two emitters wrote %s", all[i].Path)
		}
	}
	m, err := manifest(all)
	if err != nil {
		return nil, err
	}
	all = append(all, File{Path: ManifestPath, Target: "manifest", Data: m})
	slices.SortFunc(all, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return &Bundle{Files: all}, nil
}

func emitProfile(p *model.Profile, list []emitters.Emitter) ([]File, error) {
	var (
		files   []emitters.File
		targets []string
		deploy  []string
		summary []emitters.Summarizer
	)
	for _, e := range list {
		if s, ok := e.(emitters.Summarizer); ok {
			summary = append(summary, s)
			continue
		}
		fs, err := e.Emit(p)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %s: %w", p.Name, e.Name(), err)
		}
		for range fs {
			targets = append(targets, e.Name())
		}
		files = append(files, fs...)
		if d, ok := e.(emitters.Deployer); ok && len(fs) > 0 {
			deploy = append(deploy, d.Deploy(p))
		}
	}
	for _, s := range summary {
		f, err := s.Summarize(p, files, deploy)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %s: %w", p.Name, s.Name(), err)
		}
		files = append(files, f)
		targets = append(targets, s.Name())
	}
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = File{Path: path.Join(p.Name, f.Path), Profile: p.Name, Target: targets[i], Data: f.Data, Executable: f.Executable}
	}
	return out, nil
}

// Manifest is the JSON shape of manifest.json.
type Manifest struct {
	Tool    string          `json:"tool"`
	Version string          `json:"version"`
	Files   []ManifestEntry `json:"files"`
}

// ManifestEntry describes one file of the bundle.
type ManifestEntry struct {
	Path    string `json:"path"`
	Profile string `json:"profile"`
	Target  string `json:"target"`
	Size    int    `json:"size"`
	SHA256  string `json:"sha256"`
}

// ToolName identifies bundles this tool wrote; build refuses to replace a
// folder whose manifest does not carry it.
const ToolName = "mdeproxyc"

func manifest(files []File) ([]byte, error) {
	m := Manifest{Tool: ToolName, Version: version.Version, Files: make([]ManifestEntry, len(files))}
	for i, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Files[i] = ManifestEntry{Path: f.Path, Profile: f.Profile, Target: f.Target, Size: len(f.Data), SHA256: hex.EncodeToString(sum[:])}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
