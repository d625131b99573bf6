package main

import (
	"context"
	"errors"
)

func runDemoData(ctx context.Context, io stdio, args []string) error {
	return errors.New("demo-data: not implemented yet")
}
