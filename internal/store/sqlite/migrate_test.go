package sqlite

import (
	"context"
	"sync"
	"testing"
)

// Issue 17 item 9: processes opening a fresh store at once all get the newest schema; none
// fails half way through a migration another one is running.
func TestConcurrentFirstOpen(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 4; round++ {
		dir := t.TempDir()
		const openers = 6
		var wg sync.WaitGroup
		errs := make([]error, openers)
		for i := 0; i < openers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				st, err := Open(ctx, dir)
				if err != nil {
					errs[i] = err
					return
				}
				errs[i] = st.Close()
			}(i)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d opener %d: %v", round, i, err)
			}
		}
		st, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		var versions, newest int
		if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&versions, &newest); err != nil {
			t.Fatal(err)
		}
		if versions != len(migrations()) || newest != len(migrations()) {
			t.Errorf("round %d: %d schema_version rows up to %d, want each of %d once", round, versions, newest, len(migrations()))
		}
		st.Close()
	}
}
