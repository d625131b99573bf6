//go:build linux

package pgtest

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// start runs initdb and postgres and prepares the template database.
func (s *Server) start() error {
	initdb, postgres := filepath.Join(BinDir, "initdb"), filepath.Join(BinDir, "postgres")
	for _, p := range []string{initdb, postgres} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w: %v", errMissing, err)
		}
	}
	if _, err := os.Stat("/usr/share/postgresql/15/extension/postgis.control"); err != nil {
		return fmt.Errorf("%w: no PostGIS extension: %v", errMissing, err)
	}
	dir, err := os.MkdirTemp("", "phusong-pg-")
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	s.dir = dir
	cred, err := credential(dir)
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close()
	s.cmd = exec.Command(postgres, "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	if s.admin, err = sql.Open("pgx", s.urlOf("postgres")); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := s.waitReady(30 * time.Second); err != nil {
		return err
	}
	return s.makeTemplate()
}

// credential makes dir usable by the server's user and returns the credential to run the
// programs with: the "postgres" user when running as root, nil (this process's user) otherwise.
func credential(dir string) (*syscall.Credential, error) {
	if os.Getuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: running as root needs the Debian user postgres: %v", errMissing, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: user postgres: %w", err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
