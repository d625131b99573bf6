// Package geo is phusong's pure mathematics: the metric projection, geodesic distance,
// radio path-loss models, antenna patterns, link budgets, grids and contours.
//
// Conventions: points are orb.Point in (lon, lat) WGS84 degrees at the edges and (x, y)
// metres in a stated projection (see TransverseMercator) inside; frequencies are MHz,
// distances km in path-loss formulas (as in the published models) and metres elsewhere,
// heights metres, losses and gains dB/dBi, powers dBm. Every name carries its unit.
//
// Boundaries: grid cells are half-open squares (a point on a shared side belongs to the cell
// east or north of it; see Grid); a contour's region is where value ≥ level, NaN and samples
// beyond the grid counting as below (ContourPolygons); polygons come out counter-clockwise
// exteriors and clockwise holes.
//
// The package does no I/O, keeps no global state (scratch memory such as ContourScratch is
// the caller's) and imports nothing of phusong's.
package geo
