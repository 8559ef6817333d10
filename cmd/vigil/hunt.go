package main

import (
	"context"
	"errors"
)

// runHunt is not built yet; its owner replaces this file.
func runHunt(ctx context.Context, args []string, std stdio) error {
	return errors.New("hunt: not built yet")
}
