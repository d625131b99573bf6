package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/persist"
)

// Token management for admin tokens: the same as `phusong token` on the server's machine.
// Carriers are the listed ones (State.Carriers and carriers with sites) and the fibre operators
// (fibre.DefaultOperators: the carriers and the cable-TV operator "tvcable").

// CreateToken makes a carrier token (for a listed carrier or fibre operator) or an admin token
// (carrier ""), if who is an admin token. plain is the token in clear, never stored.
func (a *App) CreateToken(ctx context.Context, who persist.TokenInfo, carrier string, admin bool, note string) (plain string, info persist.TokenInfo, err error) {
	if a.db == nil {
		return "", info, ErrNoDatabase
	}
	if err := MayAdmin(who); err != nil {
		return "", info, err
	}
	if !admin && !a.State().listsCarrier(carrier) && !fibre.KnownOperator(carrier) {
		return "", info, data.ParseErrors{{Field: "carrier", Value: carrier, Msg: "is not a listed carrier (see /api/v1/carriers) nor a fibre operator (tvcable)"}}
	}
	if plain, info, err = a.db.CreateToken(ctx, carrier, admin, note); err != nil {
		return "", info, err
	}
	a.log.Info("token created", "token_id", info.ID, "carrier", info.Carrier, "admin", info.Admin, "by", who.ID)
	return plain, info, nil
}

// CreatePlannerToken makes a planner token for the planner name, if who is an admin token.
func (a *App) CreatePlannerToken(ctx context.Context, who persist.TokenInfo, name, note string) (plain string, info persist.TokenInfo, err error) {
	if a.db == nil {
		return "", info, ErrNoDatabase
	}
	if err := MayAdmin(who); err != nil {
		return "", info, err
	}
	if plain, info, err = a.db.CreatePlannerToken(ctx, name, note); err != nil {
		return "", info, err
	}
	a.log.Info("token created", "token_id", info.ID, "planner", info.Planner, "by", who.ID)
	return plain, info, nil
}

// Tokens lists every token (revoked ones too) without secrets, if who is an admin token.
func (a *App) Tokens(ctx context.Context, who persist.TokenInfo) ([]persist.TokenInfo, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	if err := MayAdmin(who); err != nil {
		return nil, err
	}
	return a.db.ListTokens(ctx)
}

// RevokeToken revokes token id (12 hex digits, or "phs_" and them), if who is an admin token;
// revoking twice is not an error. An id that is not one, maybe a whole token pasted, is
// ErrNotFound without echoing it.
func (a *App) RevokeToken(ctx context.Context, who persist.TokenInfo, id string) error {
	if a.db == nil {
		return ErrNoDatabase
	}
	if err := MayAdmin(who); err != nil {
		return err
	}
	id = strings.TrimPrefix(id, "phs_")
	if len(id) != 12 || strings.Trim(id, "0123456789abcdef") != "" {
		return fmt.Errorf("token id (12 hex digits, as listed): %w", ErrNotFound)
	}
	switch err := a.db.RevokeToken(ctx, id); {
	case errors.Is(err, persist.ErrNotFound):
		return fmt.Errorf("token %q: %w", id, ErrNotFound)
	case err != nil:
		return err
	}
	a.log.Info("token revoked", "token_id", id, "by", who.ID)
	return nil
}
