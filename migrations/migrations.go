// Package migrations embeds the SQL migrations of Agora, one folder per
// dialect, numbered for goose. Once shipped, a migration is never edited:
// later changes add a new numbered file.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Postgres holds the PostgreSQL migrations, at the root of the FS.
var Postgres = mustSub("postgres")

// SQLite holds the SQLite migrations, at the root of the FS.
var SQLite = mustSub("sqlite")

func mustSub(dir string) fs.FS {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic("migrations: " + err.Error()) // only a typo in dir can get here
	}
	return sub
}
