package model

import (
	"errors"
	"fmt"
	"testing"
)

func TestLocate(t *testing.T) {
	p := &Profile{Name: "hq", Pos: Pos{File: "f.cue", Line: 1, Col: 1},
		Origins: map[Path]Origin{PathWinHTTPBypass: {Pos: Pos{File: "d.cue", Line: 4, Col: 9}, FromDefaults: true}}}
	base := errors.New("too long")
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("wrapped: %w", &SettingError{Profile: "hq", Setting: PathWinHTTPBypass, Err: base}), "d.cue:4:9: wrapped: profiles.hq.windows.winhttp.bypass: too long"},
		// A setting left at its default is placed at the profile's name.
		{&SettingError{Profile: "hq", Setting: PathWinHTTPProxy, Err: base}, "f.cue:1:1: profiles.hq.windows.winhttp.proxy: too long"},
		// Another profile's error, or any other error, is left as it is.
		{&SettingError{Profile: "b", Setting: PathWinHTTPBypass, Err: base}, "profiles.b.windows.winhttp.bypass: too long"},
		{base, "too long"},
	}
	for _, c := range cases {
		got := p.Locate(c.err)
		if got.Error() != c.want {
			t.Errorf("Locate(%q) = %q, want %q", c.err, got, c.want)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("Locate(%q) lost the error it wraps", c.err)
		}
	}
}
