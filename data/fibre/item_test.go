package fibre

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

// itemNet is a two-operator network: viettel has a route and an access point sharing the id
// "X" (separate id spaces), tvcable one route.
func itemNet() *Network {
	return &Network{
		Routes: []Route{
			{Operator: "viettel", RouteID: "X", Kind: Distribution, Line: orb.LineString{{106.3, 9.9}, {106.31, 9.9}}},
			{Operator: "tvcable", RouteID: "T1", Kind: Feeder, Line: orb.LineString{{106.3, 9.91}, {106.32, 9.91}}},
		},
		AccessPoints: []AccessPoint{{Operator: "viettel", ID: "X", Point: orb.Point{106.305, 9.9}, Ports: 16}},
	}
}

func TestItemKeys(t *testing.T) {
	items := Items(itemNet())
	cases := []struct {
		name          string
		item          Item
		operator, key string
	}{
		{"route", items[0], "viettel", "route/X"},
		{"cable route", items[1], "tvcable", "route/T1"},
		{"access point with a route's id", items[2], "viettel", "ap/X"},
		{"empty", Item{}, "", ""},
	}
	for _, c := range cases {
		if op, key := c.item.Operator(), c.item.Key(); op != c.operator || key != c.key {
			t.Errorf("%s: operator %q key %q, want %q %q", c.name, op, key, c.operator, c.key)
		}
	}
	// An item encodes only its set half, so stored bodies are stable and small.
	b, _ := json.Marshal(items[2])
	if want := `{"access_point":{"operator":"viettel","id":"X","point":[106.305,9.9],"ports":16}}`; string(b) != want {
		t.Errorf("encoding %s, want %s", b, want)
	}
}

func TestItemsRoundTrip(t *testing.T) {
	n := itemNet()
	items := Items(n)
	items[0].Route.RouteID = "changed" // items hold copies
	if n.Routes[0].RouteID != "X" {
		t.Fatal("Items shares the network's routes")
	}
	want := itemNet()
	want.Sort()
	if got := FromItems(Items(itemNet())); !reflect.DeepEqual(got, want) {
		t.Errorf("FromItems(Items(n)) = %+v, want %+v", got, want)
	}
}

func TestNetworkReplace(t *testing.T) {
	n := itemNet()
	with := &Network{Routes: []Route{{Operator: "viettel", RouteID: "Y", Kind: Backbone, Line: orb.LineString{{106.3, 9.92}, {106.4, 9.92}}}}}
	got := n.Replace("viettel", with)
	if len(got.Routes) != 2 || got.Routes[0].RouteID != "T1" || got.Routes[1].RouteID != "Y" || len(got.AccessPoints) != 0 {
		t.Errorf("replace viettel: %+v", got)
	}
	if len(n.Routes) != 2 || len(n.AccessPoints) != 1 {
		t.Error("Replace modified its receiver")
	}
	if got := n.Replace("mobifone", &Network{}); len(got.Routes) != 2 || len(got.AccessPoints) != 1 {
		t.Errorf("replacing an absent operator by nothing changed the network: %+v", got)
	}
}
