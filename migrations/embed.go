// Package migrations embeds Micboard's numbered SQL migrations. Files named
// NNNN_name.tx.up.sql run inside one transaction, so a failing migration
// leaves no half-applied schema behind.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
