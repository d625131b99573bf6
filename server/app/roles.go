package app

import "phusong/data/persist"

// Who may do what with measurements and reports. A token has a role; each use case asks scopeOf
// for that role and its action. A new role is one constant, one case in roleOf and one case in
// scopeOf (and in calibrateScope if it calibrates).

// role is what a token is for.
type role int

const (
	roleNone    role = iota // an unknown token (cannot happen for an authenticated one)
	roleCarrier             // a carrier's token: its own network
	roleAdmin               // an admin token (and the command line on the server's machine)
	rolePlanner             // a planner's token: every carrier's measurements, no review queue
)

// roleOf returns tok's role.
func roleOf(tok persist.TokenInfo) role {
	switch {
	case tok.Admin:
		return roleAdmin
	case tok.Carrier != "":
		return roleCarrier
	case tok.Planner != "":
		return rolePlanner
	}
	return roleNone
}

// scope is which carriers' data a role may act on.
type scope int

const (
	scopeNone       scope = iota
	scopeOwnCarrier       // the token's carrier only
	scopeAnyCarrier       // every carrier
)

// action is what a scope is asked for.
type action int

const (
	actMeasurements action = iota // upload, list and withdraw measurements
	actReview                     // see and review the reports disputing a carrier's coverage
)

// scopeOf returns the carriers role r may act on for act: a carrier its own network, an admin
// every carrier, a planner every carrier's measurements (planners upload and compare drive tests
// of any network) and no carrier's review queue.
func scopeOf(r role, act action) scope {
	switch {
	case r == roleCarrier:
		return scopeOwnCarrier
	case r == roleAdmin, r == rolePlanner && act == actMeasurements:
		return scopeAnyCarrier
	}
	return scopeNone
}

// allows reports whether scope s of token tok covers carrier ("" = every carrier at once).
func allows(s scope, tok persist.TokenInfo, carrier string) bool {
	switch s {
	case scopeAnyCarrier:
		return true
	case scopeOwnCarrier:
		return carrier != "" && carrier == tok.Carrier
	}
	return false
}

// CommandLine is the token the command line acts with on the server's machine (phusong
// measurements import, phusong calibrate): an admin without an id (stored as no token).
func CommandLine() persist.TokenInfo { return persist.TokenInfo{Admin: true} }
