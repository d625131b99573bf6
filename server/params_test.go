package server

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"phusong/data"
)

// ctxFor returns a gin context whose request has the given raw query.
func ctxFor(rawQuery string) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "/x?"+rawQuery, nil)
	return c
}

// wantParam checks err is a *ParamError naming param (or nil when param is "").
func wantParam(t *testing.T, err error, param string) {
	t.Helper()
	if param == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var pe *ParamError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want a *ParamError for %s", err, param)
	}
	if pe.Param != param || pe.Reason == "" {
		t.Fatalf("ParamError %+v, want param %s with a reason", pe, param)
	}
}

func TestQueryBBox(t *testing.T) {
	cases := []struct {
		name, query string
		want        orb.Bound
		present     bool
		badParam    string
	}{
		{"absent", "", orb.Bound{}, false, ""},
		{"province", "bbox=105.8,9.5,106.6,10.1", orb.Bound{Min: orb.Point{105.8, 9.5}, Max: orb.Point{106.6, 10.1}}, true, ""},
		{"degenerate point box", "bbox=106,10,106,10", orb.Bound{Min: orb.Point{106, 10}, Max: orb.Point{106, 10}}, true, ""},
		{"spaces around numbers", "bbox=105.8,+9.5,106.6,10.1", orb.Bound{Min: orb.Point{105.8, 9.5}, Max: orb.Point{106.6, 10.1}}, true, ""},
		{"three numbers", "bbox=1,2,3", orb.Bound{}, false, "bbox"},
		{"five numbers", "bbox=1,2,3,4,5", orb.Bound{}, false, "bbox"},
		{"not a number", "bbox=a,2,3,4", orb.Bound{}, false, "bbox"},
		{"NaN", "bbox=NaN,2,3,4", orb.Bound{}, false, "bbox"},
		{"infinite", "bbox=-Inf,2,3,4", orb.Bound{}, false, "bbox"},
		{"lat out of range", "bbox=1,-91,3,4", orb.Bound{}, false, "bbox"},
		{"lon out of range", "bbox=1,2,181,4", orb.Bound{}, false, "bbox"},
		{"min above max", "bbox=106.6,9.5,105.8,10.1", orb.Bound{}, false, "bbox"},
		{"lat/lon swapped gives min above max", "bbox=9.5,105.8,10.1,106.6", orb.Bound{}, false, "bbox"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, ok, err := queryBBox(ctxFor(tc.query), "bbox")
			wantParam(t, err, tc.badParam)
			if err == nil && (ok != tc.present || b != tc.want) {
				t.Fatalf("got %v present=%v, want %v present=%v", b, ok, tc.want, tc.present)
			}
		})
	}
}

func TestQueryPoint(t *testing.T) {
	cases := []struct {
		name, query string
		want        orb.Point
		badParam    string
	}{
		{"inside", "lon=106.34&lat=9.93", orb.Point{106.34, 9.93}, ""},
		{"edges of the world", "lon=-180&lat=90", orb.Point{-180, 90}, ""},
		{"missing lon", "lat=9.9", orb.Point{}, "lon"},
		{"empty lat", "lon=106&lat=", orb.Point{}, "lat"},
		{"lon not a number", "lon=x&lat=9", orb.Point{}, "lon"},
		{"lat beyond pole", "lon=106&lat=90.5", orb.Point{}, "lat"},
		{"lon NaN", "lon=nan&lat=9", orb.Point{}, "lon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := queryPoint(ctxFor(tc.query))
			wantParam(t, err, tc.badParam)
			if err == nil && p != tc.want {
				t.Fatalf("got %v, want %v", p, tc.want)
			}
		})
	}
}

func TestQueryTechAndInt(t *testing.T) {
	techs := []struct {
		name, query string
		want        data.Tech
		badParam    string
	}{
		{"default", "", data.Tech4G, ""},
		{"3G", "tech=3G", data.Tech3G, ""},
		{"lower case", "tech=4g", data.Tech4G, ""},
		{"not analysed", "tech=5G", "", "tech"},
		{"junk", "tech=LTE", "", "tech"},
	}
	for _, tc := range techs {
		t.Run("tech "+tc.name, func(t *testing.T) {
			got, err := queryTech(ctxFor(tc.query), "tech", data.Tech4G)
			wantParam(t, err, tc.badParam)
			if err == nil && got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	siteTechs := []struct {
		name, query string
		want        data.Tech
		badParam    string
	}{
		{"all", "", "", ""},
		{"2G is stored", "tech=2g", data.Tech2G, ""},
		{"6G", "tech=6G", "", "tech"},
	}
	for _, tc := range siteTechs {
		t.Run("site tech "+tc.name, func(t *testing.T) {
			got, err := querySiteTech(ctxFor(tc.query), "tech")
			wantParam(t, err, tc.badParam)
			if err == nil && got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	ints := []struct {
		name, query string
		want        int
		badParam    string
	}{
		{"default", "", 7, ""},
		{"low edge", "n=1", 1, ""},
		{"high edge", "n=10", 10, ""},
		{"below", "n=0", 0, "n"},
		{"above", "n=11", 0, "n"},
		{"decimal", "n=2.5", 0, "n"},
		{"huge", "n=99999999999999999999", 0, "n"},
	}
	for _, tc := range ints {
		t.Run("int "+tc.name, func(t *testing.T) {
			got, err := queryInt(ctxFor(tc.query), "n", 7, 1, 10)
			wantParam(t, err, tc.badParam)
			if err == nil && got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}
