package main

import (
	"context"
	"errors"
)

// runSimulate is not built yet; its owner replaces this file.
func runSimulate(ctx context.Context, args []string, std stdio) error {
	return errors.New("simulate: not built yet")
}
