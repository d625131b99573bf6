package render

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data/measure"
)

// MeasurementBins returns the map's measurement layer: one square per bin (lon/lat, 6 decimals)
// with properties samples, positions, mean_level_dbm (of the strongest cell per position, 0.1
// dB), in_window (samples in the residual figures), mean_residual_db (measured − predicted, 0.1
// dB; null when none), cell_m, and the definition_version and calibration the residuals were
// computed with. The feature id is MeasurementBinID.
func MeasurementBins(bins []measure.Bin, cellM float64, definitionVersion, calibration string) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, b := range bins {
		ring := make(orb.Ring, len(b.Ring))
		for i, p := range b.Ring {
			ring[i] = orb.Point{round6(p[0]), round6(p[1])}
		}
		f := geojson.NewFeature(orb.Polygon{ring})
		f.ID = MeasurementBinID(cellM, b)
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

// MeasurementBinID is the feature id of a measurement square: "<size m>/<column>/<row>" in the
// engine frame (as a tile's z/x/y), the same for the same square at every data version.
func MeasurementBinID(cellM float64, b measure.Bin) string {
	return strconv.FormatFloat(cellM, 'f', -1, 64) + "/" + strconv.Itoa(int(b.Col)) + "/" + strconv.Itoa(int(b.Row))
}

// round1 rounds to 0.1 (dB figures).
func round1(x float64) float64 { return math.Round(x*10) / 10 }
