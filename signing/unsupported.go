//go:build windows && arm64

package signing

import "errors"

// Signer is not available in windows/arm64 builds: relic v8.2.0's
// lib/passprompt, which its certificate loader imports, has no keyring code
// for that target and does not compile there. Every other target signs.
type Signer struct{}

// errUnsupported says why --sign-cert fails in this build.
var errUnsupported = errors.New("signing is not available in windows/arm64 builds of mdeproxyc (its Authenticode library does not build there); sign with a linux, darwin or windows/amd64 build")

// Load fails in this build: see Signer.
func Load(file, passwordEnv, timestampURL string) (*Signer, error) { return nil, errUnsupported }

// Identity implements what the other builds' Signer offers; it is never called.
func (s *Signer) Identity() string { return "" }

// Warning implements what the other builds' Signer offers; it is never called.
func (s *Signer) Warning() string { return "" }

// SignScript fails in this build: see Signer.
func (s *Signer) SignScript(name string, script []byte) ([]byte, error) { return nil, errUnsupported }
