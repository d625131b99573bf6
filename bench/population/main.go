// Command population is the Go side of bench/population/run.sh: it prints what phusong's
// GeoTIFF reader reads, as gdal_translate -of XYZ prints it, for the script to compare.
//
//	go run ./bench/population xyz FILE.tif MINLON MINLAT MAXLON MAXLAT
//
// prints one line "lon lat value" per pixel of the window the reader keeps over the box (pixel
// centres, rows from the north), "nodata" for no data.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/paulmach/orb"

	"phusong/data/input"
)

func main() {
	if len(os.Args) != 7 || os.Args[1] != "xyz" {
		fmt.Fprintln(os.Stderr, "usage: population xyz FILE.tif MINLON MINLAT MAXLON MAXLAT")
		os.Exit(2)
	}
	var box [4]float64
	for i := range box {
		v, err := strconv.ParseFloat(os.Args[3+i], 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "population:", err)
			os.Exit(2)
		}
		box[i] = v
	}
	f, err := os.Open(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "population:", err)
		os.Exit(1)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintln(os.Stderr, "population:", err)
		os.Exit(1)
	}
	r, _, err := input.ReadPopulationGeoTIFF(f, st.Size(), orb.Bound{Min: orb.Point{box[0], box[1]}, Max: orb.Point{box[2], box[3]}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "population: %s: %v\n", os.Args[2], err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for k, v := range r.People {
		i, j := k%r.NX, k/r.NX
		z := strconv.FormatFloat(float64(v), 'g', -1, 32)
		if math.IsNaN(float64(v)) {
			z = "nodata"
		}
		fmt.Fprintf(w, "%.10f %.10f %s\n", r.West+(float64(i)+0.5)*r.DLon, r.North-(float64(j)+0.5)*r.DLat, z)
	}
}
