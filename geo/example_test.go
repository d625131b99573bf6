package geo_test

import (
	"fmt"

	"phusong/geo"
)

// The rf-reference check value: Okumura-Hata, large city, 900 MHz, 30 m mast, 1.5 m handset, 5 km.
func ExamplePathLoss_LossDB() {
	p := geo.PathLoss{Model: geo.ModelHata, Env: geo.EnvUrban, LargeCity: true}
	if err := p.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f dB\n", p.LossDB(900, 30, 1.5, 5))
	// Output: 151.04 dB
}

// The reach of an LTE1800 site (46 dBm, 17.5 dBi, 90 % cell edge) whose maximum path loss is
// 126.9 dB, in two environments.
func ExamplePathLoss_RangeKM() {
	for _, env := range []geo.Env{geo.EnvSuburban, geo.EnvOpen} {
		p := geo.PathLoss{Model: geo.ModelExtHata, Env: env}
		fmt.Printf("%s: %.2f km\n", env, p.RangeKM(1800, 30, 1.5, 126.9))
	}
	// Output:
	// suburban: 1.19 km
	// open: 4.39 km
}

// A grid loop binds the model to one sector once and evaluates the loss per cell.
func ExamplePathLoss_Curve() {
	c := geo.PathLoss{Model: geo.ModelExtHata, Env: geo.EnvSuburban}.Curve(900, 30, 1.5)
	for _, dKM := range []float64{0.02, 1, 5} {
		fmt.Printf("%g km: %.2f dB\n", dKM, c.LossDB(dKM))
	}
	// Output:
	// 0.02 km: 62.37 dB
	// 1 km: 116.63 dB
	// 5 km: 141.25 dB
}

func ExampleFreeSpaceLossDB() {
	fmt.Printf("%.2f dB\n", geo.FreeSpaceLossDB(900, 1))
	// Output: 91.53 dB
}
