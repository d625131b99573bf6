package persist

import "phusong/data/fibre"

// FibreKind is the Kind of an operator's fibre network: name "fibre", items fibre.Item keyed
// by (operator, Item.Key) — "route/<route_id>" or "ap/<id>" — so one upload of routes and
// access points is one version. The operator id is stored as the carrier (tokens of carrier X
// write operator X's fibre; the cable-TV operator "tvcable" has tokens of its own).
func FibreKind() Kind[fibre.Item] {
	return Kind[fibre.Item]{
		Name:    "fibre",
		Carrier: (*fibre.Item).Operator,
		ID:      (*fibre.Item).Key,
	}
}

// Fibre returns the store of the operators' fibre networks.
func (db *DB) Fibre() Versioned[fibre.Item] { return For(db, FibreKind()) }
