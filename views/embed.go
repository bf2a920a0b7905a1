// Package views embeds Micboard's html/template files: layouts/ wrap a page,
// pages/ hold one page each, partials/ hold one tile, row or panel each
// (rendered inside pages and on their own for htmx and SSE updates).
package views

import "embed"

// FS holds every template file.
//
//go:embed layouts pages partials
var FS embed.FS
