package contour

import "phusong/geo"

// Sample conditioning. Output vertices are rounded to 6 decimals of a degree (up to 0.08 m), so
// two boundary pieces passing closer than that could touch or cross after rounding. Distinct
// pieces come that close only beside a sample whose value is nearly the level and that has
// crossings on two of its four grid edges that are not joined by one chord: opposite edges, three
// or four edges, or two adjacent edges across a saddle cell. Such a sample is moved, keeping its
// sign, to at least δ/(1−δ) times the largest |value| of its opposite-sign neighbours, δ =
// minSampleGapM / CellM, so each of its crossings lies at least minSampleGapM from it. The
// crossings move by at most the same fraction of the local level difference; no other sample is
// changed.
const minSampleGapM = 0.5 // metres, against 2 × 0.08 m of rounding

// Condition applies the sample conditioning to v, values of grid g (row-major), in place.
func Condition(g geo.Grid, v []float32) {
	c := newConditioner(g)
	for j := range g.NY {
		for i := range g.NX {
			c.visit(v, i, j)
		}
	}
	c.apply(v)
}

// conditioner collects the moves of the sample conditioning; they are applied after the pass,
// which reads the original values.
type conditioner struct {
	nx, ny int
	f      float32
	moves  []sampleMove
}

type sampleMove struct {
	k int
	v float32
}

func newConditioner(g geo.Grid) *conditioner {
	d := min(0.25, minSampleGapM/g.CellM)
	return &conditioner{nx: g.NX, ny: g.NY, f: float32(d / (1 - d))}
}

// visit records the move of sample (i, j), if it needs one.
func (c *conditioner) visit(v []float32, i, j int) {
	nx, ny := c.nx, c.ny
	k := j*nx + i
	vb := v[k]
	in := vb >= 0
	if i > 0 && j > 0 && i+1 < nx && j+1 < ny &&
		(v[k-1] >= 0) == in && (v[k+1] >= 0) == in && (v[k-nx] >= 0) == in && (v[k+nx] >= 0) == in {
		return // the common case: no crossing on any of its edges
	}
	nb := [4]int{-1, -1, -1, -1} // neighbour indexes N, E, S, W (−1 beyond the grid)
	if j+1 < ny {
		nb[0] = k + nx
	}
	if i+1 < nx {
		nb[1] = k + 1
	}
	if j > 0 {
		nb[2] = k - nx
	}
	if i > 0 {
		nb[3] = k - 1
	}
	var opp [4]bool
	m, maxAbs := 0, float32(0)
	for n, q := range nb {
		if q >= 0 && (v[q] >= 0) != in {
			opp[n] = true
			m++
			maxAbs = max(maxAbs, abs32(v[q]))
		}
	}
	if m < 2 || abs32(vb) >= c.f*maxAbs {
		return
	}
	if m == 2 && opp[0] != opp[2] { // two adjacent edges: one chord unless a saddle
		a, b := 0, 1 // the pair (N, E), (E, S), (S, W) or (W, N)
		for !(opp[a] && opp[b]) {
			a, b = b, (b+1)%4
		}
		di := [4]int{0, 1, 0, -1}
		dj := [4]int{1, 0, -1, 0}
		ii, jj := i+di[a]+di[b], j+dj[a]+dj[b]
		if ii >= 0 && jj >= 0 && ii < nx && jj < ny && (v[jj*nx+ii] >= 0) != in {
			return
		}
	}
	eps := c.f * maxAbs
	if !in {
		eps = -eps
	}
	c.moves = append(c.moves, sampleMove{k, eps})
}

// apply writes the recorded moves into v.
func (c *conditioner) apply(v []float32) {
	for _, mv := range c.moves {
		v[mv.k] = mv.v
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// CommuneClip is the clipped contour value of a cell with margin m at signed distance d (metres,
// positive inside) from a commune's boundary, slope s: min(m, s·d) inside (s·(+Inf) = +Inf keeps
// the margin), s·d elsewhere (see the package doc).
func CommuneClip(m, d, s float32) float32 {
	if d > 0 {
		return min(m, s*d)
	}
	return s * d
}

// ClipClassMargins is CommuneClip for land of two classes (see the package doc): a cell of
// class c (d_c > 0) takes min(m, s·d_c), raised to min(m_o, s·d_o) when it lies within the
// distance band of the other class o and other holds its margin m_o on that class's land (not
// NaN); a cell of neither class takes max(s·d_0, s·d_1). Then the sample conditioning. other,
// dist0 and dist1 are over w, like margin.
func ClipClassMargins(w Window, margin, other, dist0, dist1 []float32) {
	s := float32(BoundarySlopeDBPerCell / w.Grid.CellM)
	for wk, d0 := range dist0 {
		margin[wk] = ClassClip(margin[wk], other[wk], d0, dist1[wk], s)
	}
	Condition(w.Grid, margin)
}

// ClassClip is ClipClassMargins' value of one cell: margin m, other class's margin mo (NaN:
// none), signed distances d0, d1 to the land of each class, slope s.
func ClassClip(m, mo, d0, d1, s float32) float32 {
	if d0 <= 0 && d1 <= 0 {
		return max(s*d0, s*d1)
	}
	own, oth := d0, d1
	if d1 > 0 {
		own, oth = d1, d0
	}
	v := min(m, s*own)
	if mo == mo {
		v = max(v, min(mo, s*oth))
	}
	return v
}
