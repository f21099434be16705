// Package intunegraph is the contract between the intune emitter, which
// writes the Graph request bodies, and publish, which sends them: the files
// the bodies are written to and the marker line that names a body's profile.
// Both import it; neither imports the other (publish gets the bodies through
// the render function the command hands it, the way build gets them).
package intunegraph

import "strings"

// The files the intune emitter writes, relative to a profile's folder.
const (
	ConfigurationPath = "windows/intune/custom-configuration.json"
	ScriptPath        = "windows/intune/platform-script.json"
	RemediationPath   = "windows/intune/remediation.json"
)

// MarkerPrefix starts the last line of every body's description: it names the
// profile the object was built from, so that publish finds its objects again
// after a display-name change and tells them from everything else in the
// tenant (docs/intune-publish.md).
const MarkerPrefix = "mdeproxyc-profile: "

// Marker is the marker line for a profile.
func Marker(profile string) string { return MarkerPrefix + profile }

// ProfileOf returns the profile named by a description's marker line.
func ProfileOf(description string) (string, bool) {
	i := strings.LastIndex(description, "\n"+MarkerPrefix)
	if i < 0 {
		return "", false
	}
	name := description[i+1+len(MarkerPrefix):]
	if name == "" || strings.ContainsAny(name, "\r\n ") {
		return "", false
	}
	return name, true
}
