package sqlite

import (
	"context"
	"testing"

	"github.com/vigil-sec/vigil/internal/store/storetest"
)

func TestIncidentConformance(t *testing.T) {
	storetest.RunIncidents(t, func(t *testing.T) storetest.IncidentEngine {
		s, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
