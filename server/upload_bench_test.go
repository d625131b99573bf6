package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/server/app"
)

// list1300 returns 1,300 viettel sites: the demo's 1,250 stations of every carrier as
// viettel's (ids "R-<id>", sites closer than 25 m to an earlier one left out), topped up with
// genSites stations away from them. heightDeltaM is added to every height, so that two lists
// with different deltas differ in every site.
func list1300(heightDeltaM float64) []data.Site {
	const n, minM = 1300, 25.0
	var out []data.Site
	far := func(s data.Site) bool {
		for _, o := range out {
			dy := (s.Lat - o.Lat) * 110574
			dx := (s.Lon - o.Lon) * 111320 * math.Cos(s.Lat*math.Pi/180)
			if dx*dx+dy*dy < minM*minM {
				return false
			}
		}
		return true
	}
	for _, s := range demoInput.Sites {
		s.Carrier, s.SiteID = "viettel", "R-"+s.SiteID
		if far(s) {
			out = append(out, s)
		}
	}
	for _, s := range genSites("viettel", 7, 400) {
		if len(out) < n && far(s) {
			out = append(out, s)
		}
	}
	for i := range out {
		out[i].HeightM += heightDeltaM
	}
	return out[:n]
}

// BenchmarkReplace1300 measures a 1,300-site replace end to end over loopback HTTP: receive
// and validate the CSV, copy the store and recompute the coverage incrementally, commit
// (fsync), swap the served state. Two lists differing in every site's height alternate, so
// each iteration changes all 1,300 sites (and the carrier's whole coverage). The server's own
// phase timings are reported as *_ms metrics. Run with
//
//	go test ./server -run '^$' -bench Replace1300 -benchtime 10x
func BenchmarkReplace1300(b *testing.B) {
	for _, cellM := range []float64{coverage.DefaultCellM, testCellM} {
		b.Run(fmt.Sprintf("cell=%gm", cellM), func(b *testing.B) {
			demoState(b) // loads demoInput
			st, err := app.Build(context.Background(), app.Input{Communes: demoInput.Communes, Sites: demoInput.Sites,
				Coverage: coverage.Options{CellM: cellM}})
			if err != nil {
				b.Fatal(err)
			}
			e := newUploadEnvOn(b, st, Limits{TokenRatePerMinute: -1}, nil, "")
			files := [2][]byte{sitesCSV(b, list1300(0)), sitesCSV(b, list1300(1))}
			var sum app.Timings
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				r := e.call(b, http.MethodPost, "/api/v1/carriers/viettel/sites?mode=replace", e.tok["viettel"], files[i%2], "Content-Type: text/csv")
				if r.status != http.StatusOK {
					b.Fatalf("upload %d: %d %s", i, r.status, truncate(string(r.body), 500))
				}
				rep := decode[uploadReply](b, r)
				if rep.Upload.Total != 1300 || (i > 0 && rep.Upload.Modified != 1300) {
					b.Fatalf("upload %d: %+v", i, rep.Upload)
				}
				sum.Read += rep.Timings.Read
				sum.Prepare += rep.Timings.Prepare
				sum.Commit += rep.Timings.Commit
				sum.Publish += rep.Timings.Publish
			}
			n := float64(b.N)
			b.ReportMetric(sum.Read/n, "read_ms")
			b.ReportMetric(sum.Prepare/n, "prepare_ms")
			b.ReportMetric(sum.Commit/n, "commit_ms")
			b.ReportMetric(sum.Publish/n, "publish_ms")
		})
	}
}
