package server

import (
	"encoding/csv"
	"io"
	"strconv"

	"phusong/data"
	"phusong/data/coverage"
)

// reportColumns are the fixed leading columns of /api/v1/report.csv; per-carrier columns
// <carrier>_covered_area_pct and <carrier>_covered_population follow, in the order of the
// coverage result's carriers.
var reportColumns = []string{
	"code", "name", "name_en", "type", "tech", "area_km2", "covered_area_km2", "covered_area_pct",
	"covered_indoor_area_pct", "population", "covered_population", "covered_population_pct",
	"households", "covered_households", "carriers_present", "white_area_km2",
	"single_carrier_area_km2", "competitive_area_km2", "three_g_only_area_km2",
	"population_spread", "definition_version",
}

// writeReportCSV writes one row per commune and analysed tech (only tech when not empty), in
// the order of stats. Numbers use a dot and up to 3 decimals (people and households up to 1).
func writeReportCSV(w io.Writer, stats []coverage.CommuneStats, tech data.Tech) error {
	cw := csv.NewWriter(w)
	var carriers []string
	if len(stats) > 0 {
		for _, pc := range stats[0].PerCarrier {
			carriers = append(carriers, pc.Carrier)
		}
	}
	header := append([]string(nil), reportColumns...)
	for _, c := range carriers {
		header = append(header, c+"_covered_area_pct", c+"_covered_population")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	f := func(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
	row := make([]string, 0, len(header))
	for _, s := range stats {
		if tech != "" && s.Tech != tech {
			continue
		}
		row = append(row[:0], s.Code, s.Name, s.NameEN, string(s.Type), string(s.Tech),
			f(s.AreaKM2, 3), f(s.CoveredAreaKM2, 3), f(s.CoveredAreaPct, 3), f(s.CoveredIndoorAreaPct, 3),
			strconv.Itoa(s.Population), f(s.CoveredPopulation, 1), f(s.CoveredPopulationPct, 3),
			strconv.Itoa(s.Households), f(s.CoveredHouseholds, 1), strconv.Itoa(s.CarriersPresent),
			f(s.WhiteAreaKM2, 3), f(s.SingleCarrierAreaKM2, 3), f(s.CompetitiveAreaKM2, 3), f(s.ThreeGOnlyAreaKM2, 3),
			s.PopulationSpread, s.DefinitionVersion)
		for _, c := range carriers {
			pc, ok := carrierStats(s.PerCarrier, c)
			if !ok {
				row = append(row, "", "")
				continue
			}
			row = append(row, f(pc.CoveredAreaPct, 3), f(pc.CoveredPopulation, 1))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// carrierStats finds carrier's entry in per.
func carrierStats(per []coverage.CarrierStats, carrier string) (coverage.CarrierStats, bool) {
	for _, pc := range per {
		if pc.Carrier == carrier {
			return pc, true
		}
	}
	return coverage.CarrierStats{}, false
}
