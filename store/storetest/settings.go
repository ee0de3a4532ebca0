package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/agora-civic/agora"
)

var settingTests = []test{
	{"Setting/FirstValueWins", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		got, err := s.EnsureSetting(ctx, "csrf_key", "first")
		must(t, err)
		again, err := s.EnsureSetting(ctx, "csrf_key", "second")
		must(t, err)
		other, err := s.EnsureSetting(ctx, "other", "x")
		must(t, err)
		if got != "first" || again != "first" || other != "x" {
			t.Fatalf("got %q, %q, %q; want first, first, x", got, again, other)
		}
	}},
	{"Setting/Concurrent", func(t *testing.T, s agora.Store) {
		var wg sync.WaitGroup
		vals := make([]string, 10)
		for i := range vals {
			wg.Go(func() {
				v, err := s.EnsureSetting(t.Context(), "k", fmt.Sprint(i))
				if err != nil {
					t.Error(err)
				}
				vals[i] = v
			})
		}
		wg.Wait()
		for _, v := range vals {
			if v != vals[0] {
				t.Fatalf("callers got different values: %q", vals)
			}
		}
	}},
}
