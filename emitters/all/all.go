// Package all is the ordered list of emitters. The order is the order of files
// in each profile's README and of `mdeproxyc targets`; it is explicit here, with
// no init() registration, so reading this file tells what a bundle holds.
package all

import (
	"fmt"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/configmgr"
	"github.com/mdeproxyc/mdeproxyc/emitters/connectivity"
	"github.com/mdeproxyc/mdeproxyc/emitters/gpo"
	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/emitters/linux"
	"github.com/mdeproxyc/mdeproxyc/emitters/macos"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/emitters/proxyside"
	"github.com/mdeproxyc/mdeproxyc/emitters/regfile"
	"github.com/mdeproxyc/mdeproxyc/emitters/winhttp"
	"github.com/mdeproxyc/mdeproxyc/emitters/winscript"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Emitters returns every emitter in bundle order. Each profile's README and the
// manifest are not emitters: they are the final steps of the bundle pipeline.
func Emitters() []emitters.Emitter {
	return []emitters.Emitter{
		regfile.Emitter{},
		pol.Emitter{},
		winscript.Emitter{},
		winhttp.Emitter{},
		intune.Emitter{},
		configmgr.Emitter{},
		gpo.Emitter{},
		linux.Emitter{},
		macos.Emitter{},
		connectivity.Emitter{},
		// The proxy side is rendered once for the whole fleet (a FleetEmitter).
		proxyside.Emitter{},
	}
}

// Renderer renders one emitter's files for one profile exactly as build
// does: the same emitter, the same shared renders and the same signer. It is
// how code other than the bundle pipeline (publish) gets an artifact without
// importing an emitter.
type Renderer func(p *model.Profile) ([]emitters.File, error)

// Render returns the Renderer of the emitter with this --target name; the
// options (a signer) are those build gives emitters.NewProfile.
func Render(name string, opts ...emitters.Option) (Renderer, error) {
	for _, e := range Emitters() {
		if e.Name() == name {
			return func(p *model.Profile) ([]emitters.File, error) {
				return e.Emit(emitters.NewProfile(p, opts...))
			}, nil
		}
	}
	return nil, fmt.Errorf("no emitter named %q", name)
}
