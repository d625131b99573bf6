package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/population"
)

// Population density classes of the map's layer (people per km²; static/map/state.js
// DENSITY_BREAKS and DENSITY_COLOURS): below the first break is transparent (rice fields), then
// ColorBrewer YlOrBr.
var (
	DensityBreaksPerKM2 = []float64{50, 200, 500, 1000, 2500, 5000}
	DensityColours      = []string{"#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02"}
)

// DensityPixelM is the ground size of the density image's pixels, metres (about), on grids of
// cells up to 2/3 of it; coarser grids get pixels of 1.5 cells, so that every pixel over land
// holds a cell centre.
const DensityPixelM = 100.0

// DensityImage is the population density of a province as a PNG for a web map: pixels evenly
// spaced in longitude and in Web Mercator y (so that Leaflet's image overlay over Bounds puts
// each where it belongs), each coloured by the class of the people per km² of the grid cells
// whose centres fall in it.
type DensityImage struct {
	PNG    []byte
	Bounds [4]float64 // west, south, east, north (degrees)
	Width  int
	Height int
	PixelM float64 // the pixels' ground size, metres (about)
}

// Density draws e's people (its population grid, or the census spread uniformly over each
// commune's land) as a DensityImage over the communes' bound: pixels of about DensityPixelM
// (see there);
// a pixel's density is the people of the grid cells whose centre falls in it over their area;
// pixels with no land cell or under the first class are transparent.
func Density(e *coverage.Engine) (*DensityImage, error) {
	b := data.AreaOf(e.Communes())
	mercY := func(lat float64) float64 { return math.Log(math.Tan(math.Pi/4 + lat*math.Pi/360)) }
	midLat := (b.Min[1] + b.Max[1]) / 2
	const earthM = 6378137.0
	lonM := earthM * math.Pi / 180 * math.Cos(midLat*math.Pi/180)
	g, tm, owner := e.Grid(), e.Projection(), e.CommuneIndexRaster()
	pixelM := max(DensityPixelM, 1.5*g.CellM)
	w := max(1, int(math.Ceil((b.Max[0]-b.Min[0])*lonM/pixelM)))
	y0, y1 := mercY(b.Min[1]), mercY(b.Max[1])
	h := max(1, int(math.Ceil((y1-y0)*earthM*math.Cos(midLat*math.Pi/180)/pixelM)))
	people := make([]float64, w*h)
	cells := make([]int, w*h)
	pop := e.Population()
	perCell := make([]float64, len(e.Communes())) // uniform spread: census / land cells
	if pop == nil {
		landCells := make([]int, len(perCell))
		for _, ci := range owner {
			if ci >= 0 {
				landCells[ci]++
			}
		}
		for ci, c := range e.Communes() {
			if landCells[ci] > 0 {
				perCell[ci] = float64(c.Population) / float64(landCells[ci])
			}
		}
	}
	for k, ci := range owner {
		if ci < 0 {
			continue
		}
		ll := tm.Inverse(g.Center(k%g.NX, k/g.NX))
		px := int((ll[0] - b.Min[0]) / (b.Max[0] - b.Min[0]) * float64(w))
		py := int((y1 - mercY(ll[1])) / (y1 - y0) * float64(h))
		if px < 0 || py < 0 || px >= w || py >= h {
			continue
		}
		cells[py*w+px]++
		if pop != nil {
			people[py*w+px] += float64(pop.People[k]) / population.Scale
		} else {
			people[py*w+px] += perCell[ci]
		}
	}
	pal := color.Palette{color.NRGBA{}}
	for _, c := range DensityColours {
		pal = append(pal, parseColour(c, color.NRGBA{}))
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	cellKM2 := g.CellM * g.CellM / 1e6
	for k, n := range cells {
		if n == 0 {
			continue
		}
		d := people[k] / (float64(n) * cellKM2)
		class := 0
		for class < len(DensityBreaksPerKM2) && d >= DensityBreaksPerKM2[class] {
			class++
		}
		img.Pix[k] = uint8(class) // 0: transparent; class i ≥ 1: DensityColours[i−1]
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &DensityImage{PNG: buf.Bytes(), Bounds: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, Width: w, Height: h, PixelM: pixelM}, nil
}
