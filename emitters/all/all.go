// Package all is the ordered list of emitters. The order is the order of files
// in each profile's README and of `mdeproxyc targets`; it is explicit here, with
// no init() registration, so reading this file tells what a bundle holds.
package all

import (
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
