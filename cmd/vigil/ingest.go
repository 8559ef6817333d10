package main

import (
	"context"
	"errors"
)

// runIngest is not built yet; its owner replaces this file.
func runIngest(ctx context.Context, args []string, std stdio) error {
	return errors.New("ingest: not built yet")
}
