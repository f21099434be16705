package compile

import (
	"fmt"
	"strings"
)

// A profile's name is its folder in the bundle, which lands on Linux, macOS
// and Windows shares alike (docs/cli-safety.md). Windows cannot create a file
// or folder named after a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9), even
// with an extension ("nul.txt"), and drops trailing dots ("x." is "x"); the
// bundle's root already holds manifest.json and README.md; "proxy" is kept
// for the bundle's own use. Source: Microsoft Learn, "Naming Files, Paths,
// and Namespaces".

// reservedProfileNames are names of the bundle's own, compared ignoring case
// (Windows and macOS file systems ignore it).
var reservedProfileNames = []string{"manifest.json", "readme.md", "proxy"}

// windowsDevices are the device names Windows reserves in every folder.
var windowsDevices = func() map[string]bool {
	m := map[string]bool{"con": true, "prn": true, "aux": true, "nul": true}
	for d := '0'; d <= '9'; d++ {
		m["com"+string(d)] = true
		m["lpt"+string(d)] = true
	}
	return m
}()

// profileNameAllowedAll says everything a profile name must be.
const profileNameAllowedAll = profileNameAllowed + "; not ending in '.'; not manifest.json, README.md or proxy; not a Windows device name (con, prn, aux, nul, com0-com9, lpt0-lpt9), with or without an extension"

// checkProfileName returns the error message for a profile name that cannot
// be a folder on every system, or "".
func checkProfileName(name string) string {
	var problem string
	lower := strings.ToLower(name)
	base, _, _ := strings.Cut(lower, ".")
	switch {
	case !profileNameRE.MatchString(name):
		return fmt.Sprintf("invalid profile name %q; allowed: %s", name, profileNameAllowed)
	case strings.HasSuffix(name, "."):
		// Windows drops the dot: "x." and "x" would share a folder.
		problem = "it ends in '.', which Windows drops (it would share a folder with " + fmt.Sprintf("%q", strings.TrimRight(name, ".")) + ")"
	case windowsDevices[base]:
		problem = fmt.Sprintf("%q is a Windows device name, which Windows cannot create as a folder", base)
	default:
		for _, r := range reservedProfileNames {
			if lower == r {
				problem = "it is the name of a file at the bundle's root, or reserved for it"
			}
		}
	}
	if problem == "" {
		return ""
	}
	return fmt.Sprintf("invalid profile name %q: %s; allowed: %s", name, problem, profileNameAllowedAll)
}
