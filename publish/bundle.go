package publish

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// maxBody bounds a body read from a bundle: the largest Intune body of a
// profile is tens of kilobytes.
const maxBody = 16 << 20

// FromBundle returns a render function that gives each profile's Intune
// bodies as a built bundle holds them (build --sign-cert with a timestamp
// server makes bytes no second render reproduces): each file is checked
// against the bundle's manifest.json (size and SHA-256), must be a regular
// file, and must be what a render of the intent gives once signature blocks
// are taken off the scripts and enforceSignatureCheck is set aside — a
// bundle built from another version of the intent is refused, naming the
// profile. fresh is the unsigned render (emitters/all.Render("intune")).
func FromBundle(dir string, fresh func(*model.Profile) ([]emitters.File, error)) (func(*model.Profile) ([]emitters.File, error), error) {
	f, st, err := outdir.OpenRegular(dir, manifest.Path, 1<<40)
	if err != nil {
		return nil, fmt.Errorf("--bundle %s: %w (build the bundle first)", dir, err)
	}
	m, err := manifest.Decode(io.LimitReader(f, st.Size()), false)
	f.Close()
	if err != nil || m.Tool != manifest.ToolName {
		return nil, fmt.Errorf("--bundle %s: %s is not an mdeproxyc manifest", dir, manifest.Path)
	}
	entries := map[string]manifest.Entry{}
	for _, e := range m.Files {
		entries[e.Path] = e
	}
	return func(p *model.Profile) ([]emitters.File, error) {
		want, err := fresh(p)
		if err != nil {
			return nil, err
		}
		var out []emitters.File
		for _, w := range want {
			rel := path.Join(p.Name, w.Path)
			e, listed := entries[rel]
			if !listed {
				return nil, fmt.Errorf("--bundle %s: the manifest lists no %s: the bundle was built from another intent or without the intune target; rebuild it", dir, rel)
			}
			file := filepath.Join(dir, filepath.FromSlash(rel))
			fi, err := os.Lstat(file)
			if err != nil {
				return nil, fmt.Errorf("--bundle: %w", err)
			}
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("--bundle: %s is not a regular file (%s): not followed", file, fi.Mode().Type())
			}
			if fi.Size() != int64(e.Size) || fi.Size() > maxBody {
				return nil, fmt.Errorf("--bundle: %s has %d bytes; the manifest lists %d", file, fi.Size(), e.Size)
			}
			got, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("--bundle: %w", err)
			}
			if manifest.Hash(sha256.Sum256(got)) != e.SHA256 {
				return nil, fmt.Errorf("--bundle: %s differs from the manifest (SHA-256): edited after the build; rebuild the bundle", file)
			}
			if !sameUnsigned(got, w.Data) {
				return nil, fmt.Errorf("--bundle: %s is not what the intent gives for profile %s: the bundle was built from another version of the intent; rebuild it", file, p.Name)
			}
			out = append(out, emitters.File{Path: w.Path, Data: got, Summary: w.Summary})
		}
		return out, nil
	}, nil
}

// signatureBlock starts the Authenticode block signing appends to a script.
var signatureBlock = []byte("\r\n# SIG # Begin signature block\r\n")

// sameUnsigned reports whether two bodies are equal once the scripts'
// signature blocks are taken off and enforceSignatureCheck is set aside.
func sameUnsigned(a, b []byte) bool {
	norm := func(data []byte) (map[string]any, bool) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return nil, false
		}
		delete(m, "enforceSignatureCheck")
		for _, k := range []string{"scriptContent", "detectionScriptContent", "remediationScriptContent"} {
			s, ok := m[k].(string)
			if !ok {
				continue
			}
			script, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, false
			}
			if i := bytes.Index(script, signatureBlock); i >= 0 {
				script = script[:i]
			}
			m[k] = base64.StdEncoding.EncodeToString(script)
		}
		return m, true
	}
	x, ok1 := norm(a)
	y, ok2 := norm(b)
	return ok1 && ok2 && reflect.DeepEqual(x, y)
}
