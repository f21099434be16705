// Package version holds the tool's version. Version is a constant, not read
// from the build, so that a bundle's manifest is the same bytes from `go run`,
// an installed binary or CI. Release and Commit are what a release build
// stamps with -ldflags "-X" (.goreleaser.yaml): `mdeproxyc version` shows them,
// and nothing written into a bundle reads them.
package version

// Version is the mdeproxyc release; bump it when output bytes change.
const Version = "0.1.0"

// Release is the release's version (0.1.0; a snapshot's 0.1.1-snapshot),
// stamped by a release build:
// -X github.com/mdeproxyc/mdeproxyc/internal/version.Release=…; empty otherwise.
var Release = ""

// Commit is the source commit, stamped by builds made without Go's VCS
// stamping (a release from a source archive, go build -buildvcs=false):
// -X github.com/mdeproxyc/mdeproxyc/internal/version.Commit=…
var Commit = ""
