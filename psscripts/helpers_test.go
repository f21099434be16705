package psscripts

import (
	"unicode/utf8"

	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// ifThen and listIf state the intent block's expectations independently of
// the emitter's own derivation.
func ifThen(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

func listIf(cond bool, l []string) []string {
	if cond {
		return l
	}
	return nil
}

// setScript and testScript render one script the way the emitters get it.
func setScript(p *model.Profile) []byte  { return Render(p, regplan.For(p)).Set }
func testScript(p *model.Profile) []byte { return Render(p, regplan.For(p)).Test }

func regplanFor(p *model.Profile) regplan.Plan { return regplan.For(p) }
