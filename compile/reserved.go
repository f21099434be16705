package compile

import (
	"fmt"
	"strings"
)

// reservedProxyFolder is the bundle's fleet-level folder (the proxy side,
// emitters/proxyside): a profile of that name would share it. Compared
// ignoring case, as Windows and macOS file systems do.
const reservedProxyFolder = "proxy"

// reservedNameProblem returns the error message for a profile name the bundle
// keeps for itself, or "".
func reservedNameProblem(name string) string {
	if strings.EqualFold(name, reservedProxyFolder) {
		return fmt.Sprintf("invalid profile name %q: the bundle's proxy/ folder (what each proxy must allow) has that name; allowed: any other name", name)
	}
	return ""
}
