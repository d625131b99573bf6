package fibre

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// rowsFixture: two communes with round figures (hand arithmetic below).
//
//	A: 1,000 households, 400 of 1,000 land cells in reach (40 %), viettel 400, tvcable 100
//	B: 1,000 households, 450 of   500 land cells in reach (90 %), viettel 0,   tvcable 450
func rowsFixture() []CommuneReach {
	return []CommuneReach{
		{Code: "A", Name: "Xã A", LandCells: 1000, Population: 4000, Households: 1000, InReachCells: 400,
			HouseholdsInReach: 400, PopulationInReach: 1600, ReachPct: 40, Operators: []string{"viettel", "tvcable"},
			PerOperator: []OperatorReach{{Operator: "viettel", InReachCells: 400, HouseholdsInReach: 400}, {Operator: "tvcable", InReachCells: 100, HouseholdsInReach: 100}}},
		{Code: "B", Name: "Phường B", LandCells: 500, Population: 2000, Households: 1000, InReachCells: 450,
			HouseholdsInReach: 900, PopulationInReach: 1800, ReachPct: 90, Operators: []string{"tvcable"},
			PerOperator: []OperatorReach{{Operator: "viettel"}, {Operator: "tvcable", InReachCells: 450, HouseholdsInReach: 900}}},
	}
}

func TestTotal(t *testing.T) {
	p := Total(rowsFixture())
	// Households: 400 + 900 = 1,300 of 2,000 in reach = 65 % (the land share, 850 of 1,500
	// cells, is 56.7 %); viettel 400/2000 = 20 %, tvcable (100 + 900)/2000 = 50 %.
	if p.LandCells != 1500 || p.InReachCells != 850 || p.Households != 2000 || p.HouseholdsInReach != 1300 || p.PopulationInReach != 3400 {
		t.Errorf("totals %+v", p)
	}
	if p.ReachPct != 65 {
		t.Errorf("reach %g %%, want 65", p.ReachPct)
	}
	if p.PerOperator[0].ReachPct != 20 || p.PerOperator[1].ReachPct != 50 {
		t.Errorf("per operator %+v", p.PerOperator)
	}
	if !reflect.DeepEqual(p.Operators, []string{"viettel", "tvcable"}) {
		t.Errorf("operators %v", p.Operators)
	}
	if p.TakeUpHouseholds != nil {
		t.Errorf("take-up without figures")
	}
	if z := Total(nil); z.LandCells != 0 || z.Operators != nil {
		t.Errorf("empty total %+v", z)
	}
}

func TestWithTakeUp(t *testing.T) {
	rows, err := WithTakeUp(rowsFixture(), map[string]float64{"A": 300})
	if err != nil {
		t.Fatal(err)
	}
	a := rows[0]
	// 300 of 1,000 households = 30 %; of the 400 in reach = 75 %.
	if *a.TakeUpHouseholds != 300 || *a.TakeUpPct != 30 || *a.TakeUpOfReachPct != 75 {
		t.Errorf("A take-up %g, %g %%, %g %% of reach", *a.TakeUpHouseholds, *a.TakeUpPct, *a.TakeUpOfReachPct)
	}
	if rows[1].TakeUpHouseholds != nil {
		t.Errorf("B has no figure but got one")
	}
	// Province: only A has a figure, so the shares are of A's households.
	p := Total(rows)
	if *p.TakeUpHouseholds != 300 || *p.TakeUpPct != 30 || *p.TakeUpOfReachPct != 75 {
		t.Errorf("province take-up %g, %g %%, %g %%", *p.TakeUpHouseholds, *p.TakeUpPct, *p.TakeUpOfReachPct)
	}
	bad := []struct {
		name string
		in   map[string]float64
		want string
	}{
		{"unknown code", map[string]float64{"C": 1}, `commune "C" is not in the reach table`},
		{"negative", map[string]float64{"A": -1}, "commune A: -1 households is not a count"},
		{"NaN", map[string]float64{"A": math.NaN()}, "commune A: NaN households is not a count"},
		{"too many", map[string]float64{"B": 1001}, "commune B: 1001 households using fibre, more than its 1000 households"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := WithTakeUp(rowsFixture(), c.in)
			if !errors.Is(err, ErrTakeUp) || !strings.HasSuffix(err.Error(), c.want) {
				t.Fatalf("error %v, want …%s", err, c.want)
			}
		})
	}
}

func TestCombined(t *testing.T) {
	rows := []CommuneReach{
		{Code: "both", Households: 100, ReachPct: 80},
		{Code: "fibre", Households: 100, ReachPct: 70},
		{Code: "neither-b", Households: 100, ReachPct: 20},
		{Code: "neither-a", Households: 100, ReachPct: 10},
		{Code: "4g", Households: 100, ReachPct: 0},
	}
	g4 := map[string]float64{"both": 95, "fibre": 30, "neither-b": 40, "neither-a": 40, "4g": 60, "extra": 1}
	got, err := Combined(rows, g4, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Neither first (max 40 = 40, then min 10 < 20), then one of the two by the better share
	// (4g: 60 < fibre: 70), then both.
	var order, cats []string
	for _, r := range got {
		order = append(order, r.Code)
		cats = append(cats, r.Category)
	}
	if want := []string{"neither-a", "neither-b", "4g", "fibre", "both"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if want := []string{LacksBoth, LacksBoth, Only4G, OnlyFibre, HasBoth}; !reflect.DeepEqual(cats, want) {
		t.Errorf("categories %v, want %v", cats, want)
	}
	// neither-a: 100 × 0.6 × 0.9 = 54 households with neither.
	if math.Abs(got[0].HouseholdsLacking-54) > 1e-9 {
		t.Errorf("households lacking both %g, want 54", got[0].HouseholdsLacking)
	}
	if _, err := Combined(rows, map[string]float64{"both": 1}, 0); err == nil || !strings.Contains(err.Error(), "no 4G share for commune fibre") {
		t.Errorf("missing share: %v", err)
	}
	// A threshold of 65 % moves "4g" (60 %) into the neither group.
	got, _ = Combined(rows, g4, 65)
	if got[2].Code != "4g" || got[2].Category != LacksBoth {
		t.Errorf("threshold 65: %+v", got[2])
	}
}
