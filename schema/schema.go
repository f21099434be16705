// Package schema embeds the intent language's CUE schema: the reference that
// `mdeproxyc schema` prints, and the one source compile reads its table of
// settings from at start-up.
package schema

import _ "embed"

// CUE is the schema's source text.
//
//go:embed schema.cue
var CUE []byte
