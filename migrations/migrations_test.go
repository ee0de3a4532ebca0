package migrations

import (
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDialectsInStep checks that every migration exists for both dialects,
// so that a change is never made to one database only.
func TestDialectsInStep(t *testing.T) {
	names := func(fsys fs.FS) []string {
		got, err := fs.Glob(fsys, "*.sql")
		if err != nil || len(got) == 0 {
			t.Fatalf("no migrations: %v", err)
		}
		return got
	}
	if diff := cmp.Diff(names(Postgres), names(SQLite)); diff != "" {
		t.Fatalf("postgres and sqlite migrations differ (-postgres +sqlite):\n%s", diff)
	}
}
