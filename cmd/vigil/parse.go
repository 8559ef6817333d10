package main

import (
	"context"
	"errors"
)

func runParse(ctx context.Context, args []string, std stdio) error {
	return errors.New("parse: not built yet")
}
