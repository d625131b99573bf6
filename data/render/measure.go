package render

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data/measure"
)

// MeasurementBins returns the map's measurement layer: one square per bin (lon/lat, 6 decimals)
// with properties samples, positions, mean_level_dbm (of the strongest cell per position, 0.1
// dB), in_window (samples in the residual figures), mean_residual_db (measured − predicted, 0.1
// dB; null when none), cell_m, and the definition_version and calibration the residuals were
// computed with.
func MeasurementBins(bins []measure.Bin, cellM float64, definitionVersion, calibration string) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, b := range bins {
		ring := make(orb.Ring, len(b.Ring))
		for i, p := range b.Ring {
			ring[i] = orb.Point{round6(p[0]), round6(p[1])}
		}
		f := geojson.NewFeature(orb.Polygon{ring})
		f.Properties = geojson.Properties{"samples": b.Samples, "positions": b.Positions, "mean_level_dbm": round1(b.MeanLevelDBm),
			"in_window": b.InWindow, "mean_residual_db": nil, "cell_m": cellM,
			"definition_version": definitionVersion, "calibration": calibration}
		if !math.IsNaN(b.MeanResidualDB) {
			f.Properties["mean_residual_db"] = round1(b.MeanResidualDB)
		}
		fc.Append(f)
	}
	return fc
}

// round1 rounds to 0.1 (dB figures).
func round1(x float64) float64 { return math.Round(x*10) / 10 }
