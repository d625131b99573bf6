package persist

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSeedFileAndLayerAnswers: a seed file's hash and a rendered layer round-trip on both
// backends; a later seed record replaces the earlier, a second answer under one key keeps the
// first, an answer is found only under its whole key, and a layer's answer of a newer data
// version replaces the older's.
func TestSeedFileAndLayerAnswers(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, ok, err := db.SeedFile(ctx, "sites"); ok || err != nil {
			t.Fatalf("seed file of an empty database: %v %v", ok, err)
		}
		a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
		for _, h := range []string{a, b} {
			if err := db.PutSeedFile(ctx, "sites", h, "/tmp/sites.csv"); err != nil {
				t.Fatal(err)
			}
		}
		if h, ok, err := db.SeedFile(ctx, "sites"); h != b || !ok || err != nil {
			t.Errorf("seed file %q %v %v, want the later hash", h, ok, err)
		}
		if err := db.PutSeedFile(ctx, "sites", "abc", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("a short hash: %v, want ErrInvalid", err)
		}

		k := AnswerKey{Fingerprint: "fp", DataVersion: "viettel=3", Format: "f1", Layer: "coverage|any|4G|0|9"}
		if err := db.PutLayerAnswer(ctx, k, []byte(`{"first":1}`)); err != nil {
			t.Fatal(err)
		}
		if err := db.PutLayerAnswer(ctx, k, []byte(`{"second":2}`)); err != nil {
			t.Fatal(err)
		}
		if body, ok, err := db.LayerAnswer(ctx, k); !bytes.Equal(body, []byte(`{"first":1}`)) || !ok || err != nil {
			t.Errorf("answer %q %v %v, want the first", body, ok, err)
		}
		for _, other := range []AnswerKey{{"fp2", k.DataVersion, k.Format, k.Layer}, {k.Fingerprint, "viettel=4", k.Format, k.Layer},
			{k.Fingerprint, k.DataVersion, "f2", k.Layer}, {k.Fingerprint, k.DataVersion, k.Format, "coverage|any|4G|0|10"}} {
			if body, ok, err := db.LayerAnswer(ctx, other); ok || err != nil {
				t.Errorf("%+v reads %q (%v)", other, body, err)
			}
		}
		next := k
		next.DataVersion = "viettel=4"
		if err := db.PutLayerAnswer(ctx, next, []byte(`{"next":1}`)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := db.LayerAnswer(ctx, k); ok {
			t.Errorf("the layer's answer of an older data version was kept beside the newer")
		}
		if body, ok, _ := db.LayerAnswer(ctx, next); !ok || string(body) != `{"next":1}` {
			t.Errorf("the newer version's answer: %q %v", body, ok)
		}
		if err := db.PutLayerAnswer(ctx, k, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("an empty body: %v, want ErrInvalid", err)
		}
	})
}
