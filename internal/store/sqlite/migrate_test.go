package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
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

// TestConcurrentFirstOpenProcesses is TestConcurrentFirstOpen across processes, where
// SQLite's file locks (not its in-process lock sharing) decide who migrates: six copies of
// this test binary open one fresh store at once.
func TestConcurrentFirstOpenProcesses(t *testing.T) {
	if dir := os.Getenv("VIGIL_TEST_OPEN_DIR"); dir != "" {
		st, err := Open(context.Background(), dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		st.Close()
		os.Exit(0)
	}
	for round := 0; round < 2; round++ {
		dir := t.TempDir()
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for i := 0; i < 6; i++ {
			cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentFirstOpenProcesses$")
			cmd.Env = append(os.Environ(), "VIGIL_TEST_OPEN_DIR="+dir)
			out := &bytes.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("round %d process %d: %v: %s", round, i, err, outs[i])
			}
		}
	}
}
