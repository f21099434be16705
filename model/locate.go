package model

import (
	"errors"
	"fmt"
)

// SettingError is an error about one setting of a profile, raised where no
// position is known: an emitter renders from the values alone and never reads
// where they were written (Origins). Whoever holds the profile's provenance
// (the bundle) passes the error through Locate, which names the place.
type SettingError struct {
	Profile string
	Setting Path
	Err     error
}

// Error names the setting the way diagnostics do (profiles.NAME.path).
func (e *SettingError) Error() string {
	return SettingPath(e.Profile, e.Setting) + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *SettingError) Unwrap() error { return e.Err }

// Locate returns err with the file:line:col of the setting a SettingError in
// its chain names: where the profile (or defaults) writes the setting, else
// where the profile's name is written. Any other error is returned as it is.
func (p *Profile) Locate(err error) error {
	var se *SettingError
	if !errors.As(err, &se) || se.Profile != p.Name {
		return err
	}
	pos := p.Origins[se.Setting].Pos
	if !pos.IsValid() {
		pos = p.Pos
	}
	return fmt.Errorf("%s: %w", pos, err)
}
