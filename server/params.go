package server

import (
	"math"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"phusong/data"
)

// Query-parameter parsing. Every parser returns a *ParamError naming the parameter, so a bad
// value is a 400 that says which parameter and why.

// queryTech reads an analysed technology (3G or 4G); empty means def.
func queryTech(c *gin.Context, name string, def data.Tech) (data.Tech, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	t := data.Tech(strings.ToUpper(v))
	for _, a := range data.AnalysedTechs {
		if t == a {
			return t, nil
		}
	}
	return "", badParam(name, v, "must be one of "+techList(data.AnalysedTechs))
}

// querySiteTech reads any stored technology (2G..5G) for filtering sites; empty means all.
func querySiteTech(c *gin.Context, name string) (data.Tech, error) {
	v := c.Query(name)
	if v == "" {
		return "", nil
	}
	all := []data.Tech{data.Tech2G, data.Tech3G, data.Tech4G, data.Tech5G}
	t := data.Tech(strings.ToUpper(v))
	for _, a := range all {
		if t == a {
			return t, nil
		}
	}
	return "", badParam(name, v, "must be one of "+techList(all))
}

func techList(ts []data.Tech) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// queryInt reads an integer in [lo, hi]; empty means def.
func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badParam(name, v, "must be an integer")
	}
	if n < lo || n > hi {
		return 0, badParam(name, v, "must be between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
	}
	return n, nil
}

// parseCoord reads a finite decimal-degree number in [lo, hi].
func parseCoord(name, v string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badParam(name, v, "must be a decimal number of degrees")
	}
	if f < lo || f > hi {
		return 0, badParam(name, v, "must be between "+strconv.FormatFloat(lo, 'g', -1, 64)+" and "+strconv.FormatFloat(hi, 'g', -1, 64))
	}
	return f, nil
}

// queryPoint reads lon= and lat= (both required, WGS84 degrees).
func queryPoint(c *gin.Context) (orb.Point, error) {
	var p orb.Point
	for i, spec := range []struct {
		name   string
		lo, hi float64
	}{{"lon", -180, 180}, {"lat", -90, 90}} {
		v, ok := c.GetQuery(spec.name)
		if !ok || v == "" {
			return p, badParam(spec.name, v, "is required")
		}
		f, err := parseCoord(spec.name, v, spec.lo, spec.hi)
		if err != nil {
			return p, err
		}
		p[i] = f
	}
	return p, nil
}

// queryBBox reads bbox=minLon,minLat,maxLon,maxLat; ok is false when absent.
func queryBBox(c *gin.Context, name string) (b orb.Bound, ok bool, err error) {
	v := c.Query(name)
	if v == "" {
		return b, false, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return b, false, badParam(name, v, "must be minLon,minLat,maxLon,maxLat (4 numbers)")
	}
	var f [4]float64
	for i, p := range parts {
		lo, hi := -180.0, 180.0
		if i%2 == 1 {
			lo, hi = -90, 90
		}
		x, err := parseCoord(name, p, lo, hi)
		if err != nil {
			return b, false, badParam(name, v, "value "+strconv.Itoa(i+1)+" "+err.(*ParamError).Reason)
		}
		f[i] = x
	}
	if f[0] > f[2] || f[1] > f[3] {
		return b, false, badParam(name, v, "min must not exceed max (minLon,minLat,maxLon,maxLat)")
	}
	return orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}, true, nil
}
