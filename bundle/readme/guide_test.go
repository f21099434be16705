package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
)

// TestChannelGuidePaths: every file the guide names is a file some profile
// of the golden bundle has, so a renamed artifact cannot leave the guide
// pointing at nothing.
func TestChannelGuidePaths(t *testing.T) {
	const golden = "../../testdata/golden/contoso"
	profiles, err := os.ReadDir(golden)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range channels {
		for _, f := range c.files {
			found := false
			for _, p := range profiles {
				if _, err := os.Stat(filepath.Join(golden, p.Name(), filepath.FromSlash(f))); err == nil {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s: %s is in no profile of %s", c.name, f, golden)
			}
		}
	}
}

// TestChannelGuideRows: the guide lists the channels whose files the
// profile has, and only its files.
func TestChannelGuideRows(t *testing.T) {
	mac := channelGuide([]emitters.File{{Path: "macos/com.microsoft.wdav.plist"}, {Path: "macos/com.microsoft.wdav.mobileconfig"}})
	for _, want := range []string{"| Intune (macOS) | `macos/com.microsoft.wdav.mobileconfig` |", "| Jamf or another Mac MDM | `macos/com.microsoft.wdav.plist`, `macos/com.microsoft.wdav.mobileconfig` |"} {
		if !strings.Contains(mac, want) {
			t.Errorf("macOS-only guide lacks %q:\n%s", want, mac)
		}
	}
	for _, not := range []string{"ConfigMgr", "Group Policy", "Linux", "By hand", "windows/"} {
		if strings.Contains(mac, not) {
			t.Errorf("macOS-only guide mentions %s:\n%s", not, mac)
		}
	}
	if g := channelGuide(nil); g != "" {
		t.Errorf("no files, guide %q", g)
	}
}
