package validators

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// GraphSetting is one OMA setting as Microsoft's Graph SDK models read it.
type GraphSetting struct {
	ODataType   string   `json:"odataType"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	OmaURI      string   `json:"omaUri"`
	Kind        string   `json:"kind"`
	String      *string  `json:"string"`
	Integer     *int32   `json:"integer"`
	Boolean     *bool    `json:"boolean"`
	Unknown     []string `json:"additionalData"`
}

// GraphResult is what the Graph SDK read from one request body.
type GraphResult struct {
	File        string         `json:"file"`
	Error       string         `json:"error"`
	ODataType   string         `json:"odataType"`
	Windows10   bool           `json:"windows10CustomConfiguration"`
	DisplayName string         `json:"displayName"`
	Description string         `json:"description"`
	Settings    []GraphSetting `json:"omaSettings"`
	Unknown     []string       `json:"additionalData"`
}

// graphcheckPath is where .ci/run builds tools/graphcheck.
func graphcheckPath() string {
	if p := os.Getenv("MDEPROXYC_GRAPHCHECK"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", ".cache", "bin", "graphcheck")
}

// GraphSDK deserialises request bodies with msgraph-sdk-go's models through
// tools/graphcheck (its own module: the SDK takes minutes to compile).
func GraphSDK(t testing.TB, bodies ...[]byte) []GraphResult {
	t.Helper()
	bin := graphcheckPath()
	if _, err := os.Stat(bin); err != nil {
		Missing(t, "tools/graphcheck is not built (.ci/run: cd tools/graphcheck && go build -o ../../.cache/bin/graphcheck .)")
	}
	var results []GraphResult
	runOnFiles(t, "body%d.json", bodies, &results, bin)
	return results
}
