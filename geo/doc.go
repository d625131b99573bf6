// Package geo is phusong's pure mathematics: the metric projection, geodesic distance,
// radio path-loss models, antenna patterns, link budgets, grids and contours.
//
// Conventions: points are orb.Point in (lon, lat) WGS84 degrees at the edges and (x, y)
// metres in a stated projection (see TransverseMercator) inside; frequencies are MHz,
// distances km in path-loss formulas (as in the published models) and metres elsewhere,
// heights metres, losses and gains dB/dBi, powers dBm. Every name carries its unit.
//
// The package does no I/O, keeps no global state and imports nothing of phusong's.
package geo
