package main

import (
	"context"
	"errors"
)

func runPathloss(ctx context.Context, io stdio, args []string) error {
	return errors.New("pathloss: not implemented yet")
}
