package bundle

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
)

// TestIntuneScriptLimit: a Graph body whose script decodes to more than
// 200,000 bytes fails the build, naming the profile and the file.
func TestIntuneScriptLimit(t *testing.T) {
	body := func(n int) []byte {
		return []byte(`{"displayName": "x", "scriptContent": "` + base64.StdEncoding.EncodeToString(make([]byte, n)) + `"}`)
	}
	f := File{Path: "berlin/windows/intune/platform-script.json", Profile: "berlin", Target: "intune", Data: body(maxIntuneScript)}
	if err := CheckLimits(f); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	f.Data = body(maxIntuneScript + 1)
	err := CheckLimits(f)
	if err == nil || !strings.Contains(err.Error(), "profile berlin: intune: berlin/windows/intune/platform-script.json: the script in scriptContent is 200001 bytes, over the 200000 bytes Intune accepts") {
		t.Errorf("over the limit: %v", err)
	}
	if err := (folder{outdir.NewFolder(context.Background(), t.TempDir())}).Put(f); err == nil {
		t.Error("the folder sink wrote an oversized script")
	}
	f.Target = "readme"
	if err := CheckLimits(f); err != nil {
		t.Errorf("another target: %v", err)
	}
}
