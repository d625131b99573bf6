package coverage

import (
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/store"
)

// Exported to the external tests (package coverage_test), which check the GeoJSON data/render
// builds from the engine's polygons: the fixtures of the internal tests.

// FixLon, FixLat is the fixtures' origin, degrees.
const FixLon, FixLat = fixLon, fixLat

// SmallCase is smallCase: the two-commune hexagon of polygons_test.go at cellM.
func SmallCase(t testing.TB, cellM float64) (*Engine, *Result) { return smallCase(t, cellM) }

// SmallSites and SmallCommunes are the small case's sites and communes.
func SmallSites() []data.Site { return smallSites() }

// SmallCommunes returns the small case's communes.
func SmallCommunes() []data.Commune { return smallCommunes() }

// SmallPoint and SmallRing build lon/lat geometry from the small case's local metres.
func SmallPoint(x, y float64) orb.Point { return smallPoint(x, y) }

// SmallRing is smallRing.
func SmallRing(xy ...float64) orb.Ring { return smallRing(xy...) }

// DemoCase is demoCase: the demo at cellM.
func DemoCase(t *testing.T, cellM float64) (*Engine, *Result) { return demoCase(t, cellM) }

// FixtureDefinition, SquareCommune and StoreWith are the fixture builders of coverage_test.go.
func FixtureDefinition(t testing.TB) *Definition { return fixtureDefinition(t) }

// SquareCommune is squareCommune.
func SquareCommune(code string, ct data.CommuneType, lon, lat, sideM float64, pop, hh int) data.Commune {
	return squareCommune(code, ct, lon, lat, sideM, pop, hh)
}

// StoreWith is storeWith.
func StoreWith(t testing.TB, e *Engine, sites []data.Site) *store.Store {
	return storeWith(t, e, sites)
}

// PolyAreaM2 is the vector area of commune ci in the engine's frame, m².
func PolyAreaM2(e *Engine, ci int) float64 { return e.polyArea[ci] }

// BenchRecompute is benchRecompute: Compute on the demo at 50 m, then then(result).
func BenchRecompute(b *testing.B, then func(r *Result) error) { benchRecompute(b, then) }
