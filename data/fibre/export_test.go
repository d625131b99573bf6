package fibre

// NewSquareLand exports squareLand (a w × h metre land of one commune, cells of cellM) to the
// external tests.
func NewSquareLand(w, h, cellM float64) Land { return squareLand(w, h, cellM, nil) }
