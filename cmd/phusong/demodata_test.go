package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data/demo"
	"phusong/data/testenv"
)

func demoStdio() (stdio, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, &out, &errb
}

func TestDemoDataUsage(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"unknown flag", []string{"--nope"}, errUsage},
		{"stray argument", []string{"extra"}, errUsage},
		{"help", []string{"-h"}, nil},
		{"missing shared data", []string{"--shared", t.TempDir(), "--out", t.TempDir()}, os.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			io, _, _ := demoStdio()
			if err := run(context.Background(), append([]string{"demo-data"}, tc.args...), io); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestDemoDataRegenerates writes the demo into a temp folder, checks it equals the embedded
// files (fibre.geojson and population.tif included), and exercises --check on an up-to-date
// folder and on one with a stale fibre network and a missing population grid (both named).
// Each run generates the whole province (seconds under -race): three runs, not one per case.
func TestDemoDataRegenerates(t *testing.T) {
	testenv.Heavy(t, "the demo province generated three times from the reference data")
	t.Parallel()
	shared := testenv.SharedData(t)
	out := filepath.Join(t.TempDir(), "demo")
	io, stdout, _ := demoStdio()
	if err := run(context.Background(), []string{"demo-data", "--shared", shared, "--out", out}, io); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), demo.Note+"\n") {
		t.Errorf("output does not start with the synthetic-stations note:\n%s", stdout)
	}
	for name, want := range map[string][]byte{demo.CommunesFile: demo.CommunesGeoJSON(), demo.SitesFile: demo.SitesCSV(),
		demo.FibreFile: demo.FibreGeoJSON(), demo.PopulationFile: demo.PopulationTIFF()} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: regenerated file differs from the embedded one (err %v)", name, err)
		}
	}
	if err := run(context.Background(), []string{"demo-data", "--shared", shared, "--check", "--out", out}, io); err != nil {
		t.Fatalf("--check after writing: %v", err)
	}
	// A stale file (different bytes) and a missing one (a read error) are both caught by
	// --check, and named; the up-to-date ones are not.
	if err := os.WriteFile(filepath.Join(out, demo.FibreFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, demo.PopulationFile)); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"demo-data", "--shared", shared, "--check", "--out", out}, io)
	if !errors.Is(err, errDemoStale) || !strings.Contains(err.Error(), demo.FibreFile) || !strings.Contains(err.Error(), demo.PopulationFile) ||
		strings.Contains(err.Error(), demo.SitesFile) || strings.Contains(err.Error(), demo.CommunesFile) {
		t.Fatalf("--check with a stale %s and no %s: err = %v, want errDemoStale naming those two only", demo.FibreFile, demo.PopulationFile, err)
	}
}

func TestDemoDataCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	io, _, _ := demoStdio()
	if err := run(ctx, []string{"demo-data", "--shared", t.TempDir()}, io); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
