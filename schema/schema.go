// Package schema embeds the intent language's CUE schema: the reference that
// `mdeproxyc schema` prints and that compile's field table is tested against.
package schema

import _ "embed"

// CUE is the schema's source text.
//
//go:embed schema.cue
var CUE []byte
