//go:build !linux

package pgtest

import "fmt"

// start: the server is Debian's PostgreSQL run as its "postgres" user (start_linux.go); elsewhere
// the tests that need it are skipped (and fail under CI=true, data/testenv).
func (s *Server) start() error {
	return fmt.Errorf("%w: pgtest starts Debian's PostgreSQL on Linux only", errMissing)
}
