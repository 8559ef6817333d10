package main

import (
	"context"
	"errors"
)

// runRules is not built yet; its owner replaces this file.
func runRules(ctx context.Context, args []string, std stdio) error {
	return errors.New("rules: not built yet")
}
