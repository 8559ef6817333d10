package main

import (
	"context"
	"errors"
)

// runEval is not built yet; its owner replaces this file.
func runEval(ctx context.Context, args []string, std stdio) error {
	return errors.New("eval: not built yet")
}
