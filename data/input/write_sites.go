package input

import (
	"encoding/csv"
	"fmt"
	"io"
	"phusong/data"
	"strconv"
)

// WriteSitesCSV writes sites as CSV in the canonical columns (see SiteCSVColumns), one row per
// sector: sites in the given order, sectors in theirs, lon/lat with 6 decimals (about 0.1 m),
// other numbers in their shortest exact form, omni antennas as azimuth "omni" and beamwidth
// 360, LF line ends, no byte-order mark. ReadSitesCSV(WriteSitesCSV(x)) returns x without
// warnings when x's positions have at most 6 decimals and lie in the reader's area (an omni
// sector's AzimuthDeg reads back as 0).
//
// Every site is checked with CheckSite first (positions anywhere on Earth: the province area
// is the reader's rule, like the 20 m spacing and unique keys across sites); an invalid one is
// an error naming its index and key, and nothing is written.
func WriteSitesCSV(w io.Writer, sites []data.Site) error {
	for i := range sites {
		if err := data.CheckSite(&sites[i], data.WholeEarth()); err != nil {
			return fmt.Errorf("data: writing site %d (%s %q): %w", i, sites[i].Carrier, sites[i].SiteID, err)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(siteColumns); err != nil {
		return fmt.Errorf("data: writing sites: %w", err)
	}
	rec := make([]string, len(siteColumns))
	for i := range sites {
		s := &sites[i]
		for j := range s.Sectors {
			sec := &s.Sectors[j]
			az, bw := data.FormatNum(sec.AzimuthDeg), data.FormatNum(sec.BeamwidthDeg)
			if sec.Omni {
				az, bw = "omni", data.FormatNum(data.OmniBeamwidthDeg)
			}
			rec = append(rec[:0], s.Carrier, s.SiteID, strconv.FormatFloat(s.Lon, 'f', 6, 64),
				strconv.FormatFloat(s.Lat, 'f', 6, 64), data.FormatNum(s.HeightM), string(s.Status), sec.CellID,
				string(sec.Tech), data.FormatNum(sec.BandMHz), az, bw, data.FormatNum(sec.TiltDeg), data.FormatNum(sec.PowerDBm),
				data.FormatNum(sec.BandwidthMHz), data.FormatNum(sec.GainDBi), data.FormatNum(sec.FeederLossDB))
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("data: writing sites: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("data: writing sites: %w", err)
	}
	return nil
}
