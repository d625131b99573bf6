package demo

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/input"
	"phusong/geo"
)

// Fibre demo inputs, output and settings.
const (
	RoadsPath = "travinh/national_roads.geojson"
	FibreFile = "fibre.geojson"
	// FibreNote is the "phusong_note" of fibre.geojson and the sentence outputs built on it print.
	FibreNote = "Synthetic demo fibre network: every route and access point is invented by a seeded generator (backbones follow simplified national highways, feeders run to commune centres, distribution to invented hamlets); it is not any operator's real network."
	// FibreSeed seeds the committed demo fibre network (PCG, math/rand/v2).
	FibreSeed uint64 = 20250706

	backboneToleranceM  = 200.0  // Douglas–Peucker tolerance of the backbones along the highways
	minBackboneM        = 1000.0 // road pieces inside the province shorter than this are dropped
	householdsPerHamlet = 700.0  // one invented hamlet (ấp) per this many households
	hamletCandidates    = 12     // best-candidate draws per hamlet: evenly spread settlements
	ringSides           = 8      // distribution rings are octagons
	hamletArms          = 5      // village streets: a cross of four arms …
	hamletArmM          = 1000.0 // … each 700 m, plus up to 700 m more by the hamlet's households
)

// ErrRoads marks an unusable national roads file.
var ErrRoads = errors.New("demo: bad national roads file")

// fibrePlan is how one operator's demo network is drawn.
type fibrePlan struct {
	ID, Code string
	// Roads lists the highways (e.g. "QL53") the operator has a backbone along; nil = all.
	Roads []string
	// HamletShare and WardShare are the fractions of a rural commune's (ward's) hamlets the
	// operator serves, nearest the centre first.
	HamletShare, WardShare float64
	RingScale              float64 // scales the distribution rings around centres and hamlets
	// CentreMinHouseholds: a rural commune with fewer households gets no network (0 = all);
	// CentreOnly: rural communes get only their centre's rings, no hamlets.
	CentreMinHouseholds int
	CentreOnly          bool
	Headend             string // commune code feeders start from when the operator has no backbone
}

// fibrePlans are the demo operators, largest first: Viettel and VNPT (VinaPhone) everywhere,
// MobiFone along two highways with distribution in towns and near rural centres, and the
// cable-TV operator in towns and large communes' centres, fed from its headend in Trà Vinh ward.
var fibrePlans = []fibrePlan{
	{ID: "viettel", Code: "VT", HamletShare: 1, WardShare: 1, RingScale: 1},
	{ID: "vinaphone", Code: "VN", HamletShare: 0.7, WardShare: 1, RingScale: 0.9},
	{ID: "mobifone", Code: "MF", Roads: []string{"QL53", "QL54"}, HamletShare: 0.25, WardShare: 1, RingScale: 0.75},
	{ID: "tvcable", Code: "TH", Roads: []string{}, WardShare: 0.6, RingScale: 0.6, CentreMinHouseholds: 8000, CentreOnly: true, Headend: "29242"},
}

// Road is a national highway piece: its short name ("QL53") and polyline (WGS84 lon/lat).
type Road struct {
	Name string
	Line orb.LineString
}

// ReadRoads parses national highways: a GeoJSON FeatureCollection of LineString or
// MultiLineString features (each part one Road) named by the property "ten" ("Quốc lộ 53" →
// "QL53"; other names are kept without spaces) or "name". Features of other geometry types are
// skipped; a file without any road is an error (ErrRoads).
func ReadRoads(r io.Reader) ([]Road, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRoads, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRoads, err)
	}
	var out []Road
	for _, f := range fc.Features {
		name := f.Properties.MustString("ten", f.Properties.MustString("name", "road"))
		name = strings.ReplaceAll(strings.Replace(name, "Quốc lộ", "QL", 1), " ", "")
		switch g := f.Geometry.(type) {
		case orb.LineString:
			out = append(out, Road{name, g})
		case orb.MultiLineString:
			for _, ls := range g {
				out = append(out, Road{name, ls})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no LineString or MultiLineString feature", ErrRoads)
	}
	return out, nil
}

// FibreFiles is one generated demo fibre network, ready to write or compare.
type FibreFiles struct {
	GeoJSON []byte
	Network *fibre.Network
}

// Named returns the output file (fibre.geojson).
func (f *FibreFiles) Named() NamedFile { return NamedFile{FibreFile, f.GeoJSON} }

// GenerateFibre builds the demo fibre network from sharedDataDir (the folder holding
// travinh/): the ward facts (commune centres) and the national roads, over communes (the demo
// communes as Communes returns them), with seed (FibreSeed for the committed file); see
// BuildFibre. The result depends only on those inputs: same inputs, same bytes.
func GenerateFibre(sharedDataDir string, communes []data.Commune, seed uint64) (*FibreFiles, error) {
	facts, err := readWith(filepath.Join(sharedDataDir, FactsPath), ReadFacts)
	if err != nil {
		return nil, err
	}
	roads, err := readWith(filepath.Join(sharedDataDir, RoadsPath), ReadRoads)
	if err != nil {
		return nil, err
	}
	net, err := BuildFibre(communes, facts, roads, seed)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := input.WriteFibreGeoJSON(&buf, net, FibreNote); err != nil {
		return nil, err
	}
	return &FibreFiles{GeoJSON: buf.Bytes(), Network: net}, nil
}

// fibreWorld is the demo province in the generator's plane (a local transverse Mercator at the
// communes' bound centre, rounded to 0.001°).
type fibreWorld struct {
	tm       geo.TransverseMercator
	communes []data.Commune
	polys    []orb.MultiPolygon // projected
	centres  []orb.Point        // projected commune centres
	hamlets  [][]hamlet         // per commune, nearest the centre first
}

// hamlet is an invented settlement: position (projected) and households.
type hamlet struct {
	at         orb.Point
	households float64
	phase      float64 // direction of its first street, radians
}

// BuildFibre invents the demo fibre network (SYNTHETIC, see FibreNote) of the fibrePlans
// operators:
//
//   - backbones: the national highways inside the province (road vertices inside a commune),
//     simplified by Douglas–Peucker at 200 m, pieces under 1 km dropped;
//   - a feeder per served commune from the nearest point of the operator's backbones (or from
//     its headend commune's centre) to the commune centre (the facts table's centroid);
//   - distribution: octagonal rings around the centre (three with six spokes in wards, one with
//     four in rural communes) and around each served hamlet (radius 300–500 m by the hamlet's
//     households, times the plan's RingScale), and the minimum spanning tree joining the
//     centre and the served hamlets, cut into paths;
//   - access points: a cabinet at the centre (ports 256 in wards, 64 elsewhere; half for the
//     cable operator) and one at each served hamlet (32 ports from 300 households, else 16).
//
// Hamlets are one per householdsPerHamlet households (at least 3), drawn in the commune by
// best-candidate sampling (evenly spread), from PCG stream (seed, commune index). Rings whose
// vertices would leave the province are shrunk (to 70 % up to three times) or dropped.
// Coordinates are rounded to 6 decimals. The network is checked (fibre.Check, in the
// communes' data.AreaOf).
func BuildFibre(communes []data.Commune, facts []Fact, roads []Road, seed uint64) (*fibre.Network, error) {
	w, err := newFibreWorld(communes, facts, seed)
	if err != nil {
		return nil, err
	}
	net := &fibre.Network{}
	for _, p := range fibrePlans {
		w.operator(net, p, w.backbones(roads, p))
	}
	if err := fibre.Check(net, data.AreaOf(communes)); err != nil {
		return nil, fmt.Errorf("demo: generated fibre network is invalid: %w", err)
	}
	return net, nil
}

func newFibreWorld(communes []data.Commune, facts []Fact, seed uint64) (*fibreWorld, error) {
	if len(communes) == 0 {
		return nil, fmt.Errorf("demo: no communes to draw fibre in")
	}
	b := communes[0].Geometry.Bound()
	for _, c := range communes {
		b = b.Union(c.Geometry.Bound())
	}
	o := b.Center()
	w := &fibreWorld{tm: geo.NewLocalTM(math.Round(o[0]*1000)/1000, math.Round(o[1]*1000)/1000), communes: communes}
	centroid := map[string]orb.Point{}
	for _, f := range facts {
		centroid[f.Code] = orb.Point{f.CentroidLon, f.CentroidLat}
	}
	for ci, c := range communes {
		poly := geo.AsMultiPolygon(w.tm.ForwardGeometry(c.Geometry))
		ll, ok := centroid[c.Code]
		if !ok {
			return nil, fmt.Errorf("demo: commune %s is not in the facts table", c.Code)
		}
		centre := w.tm.Forward(ll)
		if !planar.MultiPolygonContains(poly, centre) {
			return nil, fmt.Errorf("demo: the centroid of %s lies outside its schematic cell", c.Code)
		}
		w.polys = append(w.polys, poly)
		w.centres = append(w.centres, centre)
		rng := rand.New(rand.NewPCG(seed, uint64(1+ci)))
		hs, err := placeHamlets(rng, poly, centre, c.Households)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, c.Code)
		}
		w.hamlets = append(w.hamlets, hs)
	}
	return w, nil
}

// placeHamlets draws max(3, round(households/householdsPerHamlet)) hamlets in poly, each the
// best of hamletCandidates uniform draws by distance to the centre and the hamlets so far, and
// shares the households among them equally; they are returned nearest the centre first.
func placeHamlets(rng *rand.Rand, poly orb.MultiPolygon, centre orb.Point, households int) ([]hamlet, error) {
	n := max(3, int(math.Round(float64(households)/householdsPerHamlet)))
	b := poly.Bound()
	taken := []orb.Point{centre}
	out := make([]hamlet, 0, n)
	for range n {
		var best orb.Point
		bestD, valid := -1.0, 0
		for d := 0; d < 100_000 && valid < hamletCandidates; d++ {
			p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			if !planar.MultiPolygonContains(poly, p) {
				continue
			}
			valid++
			near := math.Inf(1)
			for _, q := range taken {
				near = min(near, planar.Distance(p, q))
			}
			if near > bestD {
				best, bestD = p, near
			}
		}
		if valid == 0 {
			return nil, fmt.Errorf("demo: no room for a hamlet")
		}
		taken = append(taken, best)
		out = append(out, hamlet{at: best, households: float64(households) / float64(n), phase: rng.Float64() * math.Pi})
	}
	slices.SortStableFunc(out, func(a, b hamlet) int {
		return cmp.Compare(planar.Distance(a.at, centre), planar.Distance(b.at, centre))
	})
	return out, nil
}

// inside reports whether p (projected) lies in one of the communes.
func (w *fibreWorld) inside(p orb.Point) bool {
	for _, poly := range w.polys {
		if planar.MultiPolygonContains(poly, p) {
			return true
		}
	}
	return false
}

// backbone is a projected backbone polyline and its road name.
type backbone struct {
	road string
	line orb.LineString
}

// backbones returns the pieces of the plan's highways inside the province, simplified.
func (w *fibreWorld) backbones(roads []Road, p fibrePlan) []backbone {
	var out []backbone
	for _, r := range roads {
		if p.Roads != nil && !slices.Contains(p.Roads, r.Name) {
			continue
		}
		var run orb.LineString
		flush := func() {
			if len(run) >= 2 {
				ls := simplify.DouglasPeucker(backboneToleranceM).Simplify(run.Clone()).(orb.LineString)
				if planar.Length(ls) >= minBackboneM {
					out = append(out, backbone{r.Name, ls})
				}
			}
			run = nil
		}
		for _, ll := range r.Line {
			if q := w.tm.Forward(ll); w.inside(q) {
				run = append(run, q)
			} else {
				flush()
			}
		}
		flush()
	}
	return out
}

// drawing collects one operator's routes and access points in the plane.
type drawing struct {
	w   *fibreWorld
	p   fibrePlan
	net *fibre.Network
}

// route adds a route of the given kind (projected line; rounded to 6 decimals on output).
func (d *drawing) route(id string, kind fibre.Kind, line orb.LineString) {
	ll := make(orb.LineString, 0, len(line))
	for _, q := range line {
		p := d.w.tm.Inverse(q)
		p = orb.Point{round6(p[0]), round6(p[1])}
		if len(ll) == 0 || ll[len(ll)-1] != p {
			ll = append(ll, p)
		}
	}
	if len(ll) < 2 {
		return
	}
	d.net.Routes = append(d.net.Routes, fibre.Route{Operator: d.p.ID, RouteID: id, Kind: kind, Line: ll})
}

// accessPoint adds an access point (projected position).
func (d *drawing) accessPoint(id string, at orb.Point, ports int) {
	p := d.w.tm.Inverse(at)
	d.net.AccessPoints = append(d.net.AccessPoints, fibre.AccessPoint{Operator: d.p.ID, ID: id,
		Point: orb.Point{round6(p[0]), round6(p[1])}, Ports: ports})
}

// ring adds a closed octagon of radius rM around c, entered by a spoke from c, shrinking it to
// 70 % up to three times while a vertex leaves the province (dropped if it still does).
func (d *drawing) ring(id string, c orb.Point, rM, phase float64) {
	for range 4 {
		line := orb.LineString{c}
		ok := true
		for k := 0; k <= ringSides; k++ {
			a := phase + 2*math.Pi*float64(k%ringSides)/ringSides
			v := orb.Point{c[0] + rM*math.Cos(a), c[1] + rM*math.Sin(a)}
			if !d.w.inside(v) {
				ok = false
				break
			}
			line = append(line, v)
		}
		if ok {
			d.route(id, fibre.Distribution, line)
			return
		}
		rM *= 0.7
	}
}

// star adds arms of lengthM from c at angles phase + 2πk/arms as one distribution line that
// returns to c between arms (a₁ → c → a₂ → c → …); each arm is cut, in 100 m steps, where it
// would leave the province.
func (d *drawing) star(id string, c orb.Point, arms int, lengthM, phase float64) {
	var line orb.LineString
	for k := range arms {
		a := phase + 2*math.Pi*float64(k)/float64(arms)
		end := c
		for s := 100.0; s <= lengthM; s += 100 {
			v := orb.Point{c[0] + s*math.Cos(a), c[1] + s*math.Sin(a)}
			if !d.w.inside(v) {
				break
			}
			end = v
		}
		if end == c {
			continue
		}
		if len(line) > 0 {
			line = append(line, c)
		}
		line = append(line, end)
	}
	if len(line) == 1 {
		line = orb.LineString{c, line[0]}
	}
	d.route(id, fibre.Distribution, line)
}

// operator draws plan p's network into net.
func (w *fibreWorld) operator(net *fibre.Network, p fibrePlan, bbs []backbone) {
	d := &drawing{w: w, p: p, net: net}
	pieces := map[string]int{}
	for _, bb := range bbs {
		pieces[bb.road]++
		d.route(fmt.Sprintf("%s-BB-%s-%d", p.Code, bb.road, pieces[bb.road]), fibre.Backbone, bb.line)
	}
	headend := slices.IndexFunc(w.communes, func(c data.Commune) bool { return c.Code == p.Headend })
	for ci, c := range w.communes {
		ward := c.Type == data.TypeWard
		if !ward && c.Households < p.CentreMinHouseholds {
			continue
		}
		stem := p.Code + "-" + c.Code
		centre := w.centres[ci]
		// Feeder from the backbone or the headend.
		if from, ok := nearestOn(bbs, centre); ok {
			d.route(stem+"-F", fibre.Feeder, orb.LineString{from, centre})
		} else if headend >= 0 && headend != ci {
			d.route(stem+"-F", fibre.Feeder, orb.LineString{w.centres[headend], centre})
		}
		// Centre: rings and spokes.
		radii, spokes, spokeM, ports := []float64{500}, 4, 900.0, 64
		if ward {
			radii, spokes, spokeM, ports = []float64{400, 900, 1400}, 6, 1600, 256
		}
		if p.Headend != "" {
			ports /= 2
		}
		for k, r := range radii {
			d.ring(fmt.Sprintf("%s-C%d", stem, k+1), centre, r*p.RingScale, math.Pi/ringSides)
		}
		d.star(stem+"-S", centre, spokes, spokeM*p.RingScale, 0)
		d.accessPoint(stem+"-AP00", centre, ports)
		// Hamlets: the share nearest the centre, ringed and joined by a spanning tree.
		share := p.HamletShare
		if ward {
			share = p.WardShare
		}
		if !ward && p.CentreOnly {
			share = 0
		}
		hs := w.hamlets[ci][:int(math.Ceil(share*float64(len(w.hamlets[ci]))))]
		nodes := []orb.Point{centre}
		for k, h := range hs {
			nodes = append(nodes, h.at)
			armM := (hamletArmM + hamletArmM*min(1, h.households/householdsPerHamlet)) * p.RingScale
			d.star(fmt.Sprintf("%s-H%02d", stem, k+1), h.at, hamletArms, armM, h.phase)
			ports := 16
			if h.households >= 300 {
				ports = 32
			}
			d.accessPoint(fmt.Sprintf("%s-AP%02d", stem, k+1), h.at, ports)
		}
		for k, path := range treePaths(nodes) {
			d.route(fmt.Sprintf("%s-D%02d", stem, k+1), fibre.Distribution, path)
		}
	}
}

// nearestOn returns the point of the backbones nearest to p (false without backbones).
func nearestOn(bbs []backbone, p orb.Point) (orb.Point, bool) {
	best, bestD := orb.Point{}, math.Inf(1)
	for _, bb := range bbs {
		for k := 1; k < len(bb.line); k++ {
			a, b := bb.line[k-1], bb.line[k]
			dx, dy := b[0]-a[0], b[1]-a[1]
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
			}
			q := orb.Point{a[0] + t*dx, a[1] + t*dy}
			if dd := planar.Distance(p, q); dd < bestD {
				best, bestD = q, dd
			}
		}
	}
	return best, !math.IsInf(bestD, 1)
}

// treePaths returns the minimum spanning tree of nodes (Prim from nodes[0], planar lengths,
// ties to the lower index) as polylines: each starts at a node already drawn and follows first
// children down to a leaf, so every tree edge is in exactly one path.
func treePaths(nodes []orb.Point) []orb.LineString {
	n := len(nodes)
	if n < 2 {
		return nil
	}
	parent := make([]int, n)
	dist := make([]float64, n)
	in := make([]bool, n)
	for k := range dist {
		dist[k], parent[k] = math.Inf(1), -1
	}
	dist[0] = 0
	children := make([][]int, n)
	for range n {
		u := -1
		for k := range n {
			if !in[k] && (u < 0 || dist[k] < dist[u]) {
				u = k
			}
		}
		in[u] = true
		if parent[u] >= 0 {
			children[parent[u]] = append(children[parent[u]], u)
		}
		for k := range n {
			if dd := planar.Distance(nodes[u], nodes[k]); !in[k] && dd < dist[k] {
				dist[k], parent[k] = dd, u
			}
		}
	}
	type branch struct{ from, to int }
	var stack []branch
	push := func(from int, to []int) {
		for i := len(to) - 1; i >= 0; i-- {
			stack = append(stack, branch{from, to[i]})
		}
	}
	push(0, children[0])
	var paths []orb.LineString
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		path := orb.LineString{nodes[b.from], nodes[b.to]}
		for v := b.to; len(children[v]) > 0; v = children[v][0] {
			push(v, children[v][1:])
			path = append(path, nodes[children[v][0]])
		}
		paths = append(paths, path)
	}
	return paths
}
