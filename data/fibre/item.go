package fibre

// Item is one element of an operator's network as it is stored, versioned and diffed (see
// persist.FibreKind): exactly one of Route and AccessPoint is set. Routes and access points
// have separate id spaces, so an item's Key prefixes the id with its type.
type Item struct {
	Route       *Route       `json:"route,omitempty"`
	AccessPoint *AccessPoint `json:"access_point,omitempty"`
}

// Item key prefixes: Key is "route/<route_id>" or "ap/<id>".
const (
	RouteKeyPrefix       = "route/"
	AccessPointKeyPrefix = "ap/"
)

// Operator returns the operator of the item ("" for an empty item).
func (it *Item) Operator() string {
	switch {
	case it.Route != nil:
		return it.Route.Operator
	case it.AccessPoint != nil:
		return it.AccessPoint.Operator
	}
	return ""
}

// Key returns the item's id, unique within its operator's network: "route/" + RouteID or
// "ap/" + ID ("" for an empty item).
func (it *Item) Key() string {
	switch {
	case it.Route != nil:
		return RouteKeyPrefix + it.Route.RouteID
	case it.AccessPoint != nil:
		return AccessPointKeyPrefix + it.AccessPoint.ID
	}
	return ""
}

// Items returns n's routes then access points as items, each pointing to a copy (n is not
// shared). The geometries are shared.
func Items(n *Network) []Item {
	out := make([]Item, 0, len(n.Routes)+len(n.AccessPoints))
	for _, r := range n.Routes {
		out = append(out, Item{Route: &r})
	}
	for _, a := range n.AccessPoints {
		out = append(out, Item{AccessPoint: &a})
	}
	return out
}

// FromItems returns the network of items, in canonical order (Network.Sort); empty items are
// skipped. The slices are fresh; the geometries are shared.
func FromItems(items []Item) *Network {
	n := &Network{Routes: []Route{}, AccessPoints: []AccessPoint{}}
	for _, it := range items {
		switch {
		case it.Route != nil:
			n.Routes = append(n.Routes, *it.Route)
		case it.AccessPoint != nil:
			n.AccessPoints = append(n.AccessPoints, *it.AccessPoint)
		}
	}
	n.Sort()
	return n
}

// Replace returns a copy of n in which operator's routes and access points are those of with
// (which must hold only that operator's), in canonical order. n is not modified.
func (n *Network) Replace(operator string, with *Network) *Network {
	out := &Network{Routes: []Route{}, AccessPoints: []AccessPoint{}}
	for _, r := range n.Routes {
		if r.Operator != operator {
			out.Routes = append(out.Routes, r)
		}
	}
	for _, a := range n.AccessPoints {
		if a.Operator != operator {
			out.AccessPoints = append(out.AccessPoints, a)
		}
	}
	out.Routes = append(out.Routes, with.Routes...)
	out.AccessPoints = append(out.AccessPoints, with.AccessPoints...)
	out.Sort()
	return out
}
