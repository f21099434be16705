// Package manifest is the format of a bundle's manifest.json: the profiles
// with the digest of what each was rendered from, every file with its size,
// SHA-256 and whether it is a script, and a checksum of all that. A build
// writes it last and reads the previous one to carry unchanged profiles over
// (docs/incremental.md).
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mdeproxyc/mdeproxyc/internal/jsonstr"
)

// Path is the manifest's path at the bundle's root.
const Path = "manifest.json"

// Manifest is the JSON shape of manifest.json.
type Manifest struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	// Fleet is the digest of everything the fleet-level files (proxy/) were
	// rendered from; a build whose own equals it carries them over.
	Fleet string `json:"fleet"`
	// Profiles records each profile's render digest (Digest), by name; an
	// incremental build re-renders only the profiles whose digest changed.
	Profiles []Profile `json:"profiles"`
	Files    []Entry   `json:"files"`
	// Checksum is the SHA-256 of the manifest as Encode writes it, up to the
	// end of Files: a manifest edited by hand, or a merge conflict resolved
	// in it, no longer matches its files, and a build carries nothing over
	// from it (docs/incremental.md). Encode writes the checksum it
	// computes, whatever this field holds; a manifest read sets it, to be
	// checked.
	Checksum string `json:"checksum"`
}

// Profile is one profile of the bundle and the digest of everything
// its files were rendered from.
type Profile struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// Entry describes one file of the bundle.
type Entry struct {
	Path    string `json:"path"`
	Profile string `json:"profile"`
	Target  string `json:"target"`
	Size    int    `json:"size"`
	SHA256  Hash   `json:"sha256"`
	// Executable marks a script meant to run, which the build gives mode
	// 0755 (0644 to any other file): a file carried over must have the
	// mode the build would give it.
	Executable bool `json:"executable,omitempty"`
}

// Hash is a file's SHA-256, written in the manifest in lowercase hex. Held as
// its 32 bytes rather than as the 64-character string: a 100,000-profile
// manifest has 1.6 million entries.
type Hash [sha256.Size]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: exactly 64 hex digits.
func (h *Hash) UnmarshalText(text []byte) error {
	v, ok := ParseHash(string(text))
	if !ok {
		return fmt.Errorf("%q is not a SHA-256 in hex (64 digits)", text)
	}
	*h = v
	return nil
}

// ParseHash reads 64 hex digits.
func ParseHash(s string) (Hash, bool) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	for i := range h {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		if hi > 0xf || lo > 0xf {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

// hexValue maps a hex digit to its value, anything else to 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = c-'a'+10, c-'a'+10
	}
	return t
}()

// ToolName identifies bundles this tool wrote; build refuses to replace a
// folder whose manifest does not carry it.
const ToolName = "mdeproxyc"

// Encode renders the manifest: two-space indent, trailing newline, the bytes
// json.MarshalIndent would write with Checksum set to the checksum Encode
// computes (m.Checksum itself is not written). It writes them directly: for a million files
// MarshalIndent holds the output twice (measured: most of a 100,000-profile
// build's peak memory).
func (m *Manifest) Encode() ([]byte, error) {
	out := make([]byte, 0, 64+len(m.Files)*200)
	m.EncodeChunks(func(chunk []byte) bool {
		out = append(out, chunk...)
		return true
	})
	return out, nil
}

// encodeChunk is how many bytes EncodeChunks hands on at a time.
const encodeChunk = 64 << 10

// EncodeChunks renders the manifest in chunks of about encodeChunk bytes, handing
// each to yield (which may keep it only until it returns); it stops when
// yield returns false. It returns the checksum it wrote (Checksum), ""
// when stopped.
func (m *Manifest) EncodeChunks(yield func(chunk []byte) bool) (checksum string) {
	b := make([]byte, 0, encodeChunk+1024)
	sum := sha256.New()
	flush := func(force bool) bool {
		if len(b) < encodeChunk && !force {
			return true
		}
		sum.Write(b)
		ok := yield(b)
		b = b[:0]
		return ok
	}
	b = append(b, "{\n  \"tool\": "...)
	b = appendJSONString(b, m.Tool)
	b = append(b, ",\n  \"version\": "...)
	b = appendJSONString(b, m.Version)
	b = append(b, ",\n  \"fleet\": "...)
	b = appendJSONString(b, m.Fleet)
	// objects appends the n objects of an array, each written by fields, as
	// MarshalIndent lays them out; it is false when yield stopped.
	objects := func(n int, fields func(i int)) bool {
		for i := range n {
			if !flush(false) {
				return false
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    {"...)
			fields(i)
			b = append(b, "\n    }"...)
		}
		if n > 0 {
			b = append(b, "\n  "...)
		}
		return true
	}
	b = append(b, ",\n  \"profiles\": ["...)
	if !objects(len(m.Profiles), func(i int) {
		p := &m.Profiles[i]
		b = append(b, "\n      \"name\": "...)
		b = appendJSONString(b, p.Name)
		b = append(b, ",\n      \"digest\": "...)
		b = appendJSONString(b, p.Digest)
	}) {
		return ""
	}
	b = append(b, "],\n  \"files\": ["...)
	if !objects(len(m.Files), func(i int) {
		f := &m.Files[i]
		b = append(b, "\n      \"path\": "...)
		b = appendJSONString(b, f.Path)
		b = append(b, ",\n      \"profile\": "...)
		b = appendJSONString(b, f.Profile)
		b = append(b, ",\n      \"target\": "...)
		b = appendJSONString(b, f.Target)
		b = append(b, ",\n      \"size\": "...)
		b = strconv.AppendInt(b, int64(f.Size), 10)
		b = append(b, ",\n      \"sha256\": \""...)
		b = hex.AppendEncode(b, f.SHA256[:])
		b = append(b, '"')
		if f.Executable {
			b = append(b, ",\n      \"executable\": true"...)
		}
	}) {
		return ""
	}
	b = append(b, ']')
	sum.Write(b)
	checksum = "sha256:" + hex.EncodeToString(sum.Sum(nil))
	b = append(b, ",\n  \"checksum\": \""...)
	b = append(b, checksum...)
	b = append(b, "\"\n}\n"...)
	if !yield(b) {
		return ""
	}
	return checksum
}

// Sum returns the Checksum Encode writes for m.
func (m *Manifest) Sum() string {
	return m.EncodeChunks(func([]byte) bool { return true })
}

// appendJSONString appends s as json.Marshal writes a string (HTML-safe
// escapes included), so the manifest's bytes match MarshalIndent's.
func appendJSONString(b []byte, s string) []byte { return jsonstr.Append(b, s, true) }

// ErrChecksum is the error of a manifest whose files are not those its
// checksum was written for: edited by hand, or a merge conflict resolved in
// it. Nothing is carried over from it.
var ErrChecksum = errors.New("the manifest's checksum does not match its contents")

// Decode reads a manifest with encoding/json, streaming: the files array is
// decoded an entry at a time, so the decoder never buffers the whole
// document (400 MB at 100,000 profiles). With verify, its checksum must be
// the one Encode writes for what was read (ErrChecksum).
func Decode(r io.Reader, verify bool) (*Manifest, error) {
	dec := json.NewDecoder(r)
	m := &Manifest{}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		switch key {
		case "tool":
			err = dec.Decode(&m.Tool)
		case "version":
			err = dec.Decode(&m.Version)
		case "fleet":
			err = dec.Decode(&m.Fleet)
		case "checksum":
			err = dec.Decode(&m.Checksum)
		case "profiles":
			err = dec.Decode(&m.Profiles)
		case "files":
			m.Files, err = decodeFiles(dec)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the manifest's object")
	}
	if verify && m.Checksum != m.Sum() {
		return nil, ErrChecksum
	}
	return m, nil
}

// decodeFiles decodes the files array an entry at a time. The entries of
// one profile lie together and name a handful of targets between them, so
// each profile's and each target's name is kept once, not once an entry:
// at 100,000 profiles that is 3.7 million strings fewer held through a
// build.
func decodeFiles(dec *json.Decoder) ([]Entry, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var (
		files   []Entry
		profile string
		targets = map[string]string{}
	)
	for dec.More() {
		var e Entry
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		if e.Profile == profile {
			e.Profile = profile
		} else {
			profile = e.Profile
		}
		if t, ok := targets[e.Target]; ok {
			e.Target = t
		} else {
			targets[e.Target] = e.Target
		}
		files = append(files, e)
	}
	return files, expectDelim(dec, ']')
}

// expectDelim reads the next token, which must be the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("want %v, found %v", d, t)
	}
	return nil
}
