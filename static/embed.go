// Package static embeds the built front-end assets: the Tailwind CSS
// (css/app.css, built from css/input.css by `make assets`), htmx 2 and its
// SSE extension (js/), and images (img/).
package static

import "embed"

// FS holds the files served under /static/.
//
//go:embed css/app.css js img
var FS embed.FS
