// Package version holds the tool's version. It is a constant, not read from the
// build, so that a bundle's manifest is the same bytes from `go run`, an
// installed binary or CI.
package version

// Version is the mdeproxyc release; bump it when output bytes change.
const Version = "0.1.0"
