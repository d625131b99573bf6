// map/layers.js: the Leaflet map and its own layers: the commune choropleth, the coverage
// polygons, the gaps and the sites (canvas circle markers).
import { $ } from '../dom.js';
import { getJSON } from '../api.js';
import {
  st, layers, carrier, coverageColour, techInfo, failed, rampColour,
  CHORO_BREAKS, CHORO_COLOURS, TIER_COLOURS, FIBRE_BREAKS, FIBRE_COLOURS, COMBINED_COLOURS
} from './state.js';

// map is the Leaflet map; renderer draws the area layers, siteRenderer the sites above them.
export let map, renderer, siteRenderer;

let onSiteTap;

// initMap makes the map over /api/v1/info's bounds; tapSite(carrier, siteID, latlng) is
// called when a site is tapped.
export function initMap(tapSite) {
  onSiteTap = tapSite;
  map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: true, minZoom: 7, maxZoom: 17, zoomSnap: 0.25, zoomDelta: 0.5 });
  renderer = L.canvas({ padding: 0.3, tolerance: 4 });
  map.createPane('sitesPane').style.zIndex = 450;
  map.createPane('coveragePane').style.zIndex = 401; // vector-tile coverage: above the communes' canvas
  siteRenderer = L.canvas({ pane: 'sitesPane', padding: 0.3, tolerance: 10 });
  // Leaflet's attribution takes HTML: a constant here, and the base map's credit, which is
  // configuration written as HTML (serve --tiles-attribution), not data.
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (st.info.tiles_url) {
    L.tileLayer(st.info.tiles_url, { attribution: st.info.tiles_attribution || '', maxZoom: 19 }).addTo(map);
  }
  const b = st.info.bounds, view = hashView();
  if (view) { map.setView([view.lat, view.lon], view.zoom); } else { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [8, 8] }); }
  map.on('zoomend', () => { loadCoverage(); styleSites(); });
  map.on('movestart', () => { st.moving = true; });
  map.on('moveend', () => { st.moving = false; });
}

// hashView reads a view from the page's #map=zoom/lat/lon (OpenStreetMap's form), or null.
function hashView() {
  const m = /^#map=(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
  return m ? { zoom: +m[1], lat: +m[2], lon: +m[3] } : null;
}

// coverageTiles tells whether the coverage is drawn from the vector tiles (?coverage=tiles)
// rather than from one GeoJSON answer per zoom step. GeoJSON is the default at every zoom:
// bench/maptiles measured both on a phone profile, and the tiles, though lighter from zoom 11
// up, drew later at every zoom from 9 to 16 (more requests, each decoded on a slow CPU; see
// bench/README.md).
export function coverageTiles() {
  return new URLSearchParams(location.search).get('coverage') === 'tiles';
}

// covZoom is the map's zoom rounded into the range the API simplifies polygons for.
export function covZoom() {
  return Math.max(st.info.zoom_min, Math.min(st.info.zoom_max, Math.round(map.getZoom())));
}

// Commune choropleth: share of area (or people) without coverage for the current tech. The
// communes layer carries per-tech statistics suffixed "_3g" / "_4g".
function uncoveredPct(props) {
  const sfx = '_' + st.tech.toLowerCase();
  if (st.choro === 'population') {
    const cp = props['covered_population' + sfx];
    if (cp == null || !props.population) { return null; }
    return 100 * (1 - cp / props.population);
  }
  const a = props['covered_area_pct' + sfx];
  return a == null ? null : 100 - a;
}
// communeFill colours a commune for the current mode: uncovered share (area or people), fibre
// reach share, or its combined 4G × fibre category.
function communeFill(p) {
  if (st.choro === 'fibre') { return rampColour(p.fibre_reach_pct, FIBRE_BREAKS, FIBRE_COLOURS); }
  if (st.choro === 'combined') {
    const cat = st.combined && st.combined.cats[p.code];
    return cat ? COMBINED_COLOURS[cat] : '#cccccc';
  }
  return rampColour(uncoveredPct(p), CHORO_BREAKS, CHORO_COLOURS);
}
function communeStyle(f) {
  const on = $('l-communes').checked;
  const sel = st.selectedCode && f.properties.code === st.selectedCode;
  return {
    renderer, weight: sel ? 3 : 1, color: sel ? '#111' : '#6b6b6b', opacity: 0.9,
    fill: on, fillColor: communeFill(f.properties), fillOpacity: on ? 0.6 : 0, interactive: false
  };
}

// drawCommunes draws st.communes below every other layer.
export function drawCommunes() {
  if (layers.communes) { layers.communes.remove(); }
  layers.communes = L.geoJSON(st.communes, { style: communeStyle }).addTo(map);
  layers.communes.bringToBack();
}

// restyleCommunes recolours the communes after a change of mode, tech or selection.
export function restyleCommunes() { if (layers.communes) { layers.communes.setStyle(communeStyle); } }

// loadCoverage draws the coverage polygons of the current mode, tech and carrier, simplified
// for the zoom (fetched per zoom step, cached by ETag).
export function loadCoverage() {
  const mode = st.cov, tiled = mode !== 'off' && coverageTiles();
  const key = [mode, st.tech, st.carrier, mode === 'off' || tiled ? '' : covZoom(), tiled].join('|');
  if (key === st.covKey) { return; }
  st.covKey = key;
  const req = ++st.covReq;
  if (mode === 'off') {
    if (layers.coverage) { layers.coverage.remove(); layers.coverage = null; }
    return;
  }
  if (tiled) { drawCoverageTiles(mode); return; }
  const tiers = mode === 'tiers' ? techInfo().tiers_dbm.map((_, i) => i + 1) : [0];
  Promise.all(tiers.map((tier) =>
    getJSON('api/v1/coverage?tech=' + st.tech + '&carrier=' + encodeURIComponent(st.carrier) + '&tier=' + tier + '&zoom=' + covZoom())
  )).then((fcs) => {
    if (req !== st.covReq) { return; }
    const group = L.layerGroup();
    // Weakest tier first so stronger tiers are drawn on top.
    for (let i = fcs.length - 1; i >= 0; i--) {
      const colour = mode === 'tiers' ? TIER_COLOURS[i] : coverageColour();
      L.geoJSON(fcs[i], { style: { renderer, stroke: mode !== 'tiers', weight: 1, color: colour, opacity: 0.7, fillColor: colour, fillOpacity: mode === 'tiers' ? 0.45 : 0.3, interactive: false } }).addTo(group);
    }
    if (layers.coverage) { layers.coverage.remove(); }
    layers.coverage = group.addTo(map);
    if (layers.gaps) { layers.gaps.bringToFront(); }
    requestAnimationFrame(() => performance.mark('coverage-drawn'));
  }).catch((e) => { st.covKey = ''; failed(e); });
}

// drawCoverageTiles draws the coverage collection of the current tech and carrier from vector
// tiles: feature 0 (the threshold) for the area mode, the signal tiers 1.. (weakest first) for
// the tiers mode, styled as the GeoJSON layer is.
function drawCoverageTiles(mode) {
  const req = st.covReq;
  import('./tiles.js').then((tiles) => { if (req === st.covReq) { addCoverageTiles(tiles, mode); } }).catch(failed);
}

// addCoverageTiles adds the vector-tile coverage layer with map/tiles.js (imported on demand).
function addCoverageTiles({ vectorTiles, fillFeatures }, mode) {
  const collection = 'coverage_' + st.carrier.replace(/[^A-Za-z0-9_.-]/g, '_') + '_' + st.tech.toLowerCase();
  const colour = coverageColour(), tiers = techInfo().tiers_dbm.length;
  const layer = vectorTiles(collection, mode === 'tiers' ? '' : '?tier=0', 'coveragePane', (ctx, features, scale) => {
    if (mode !== 'tiers') {
      fillFeatures(ctx, features, scale, (f) => f.id === 0, { fill: colour, fillOpacity: 0.3, opacity: 0.7, lineWidth: 1 });
      return;
    }
    for (let tier = tiers; tier >= 1; tier--) {
      fillFeatures(ctx, features, scale, (f) => f.id === tier, { fill: TIER_COLOURS[tier - 1], fillOpacity: 0.45, lineWidth: 0 });
    }
  });
  layer.once('load', () => requestAnimationFrame(() => performance.mark('coverage-drawn')));
  layer.on('tileerror', (e) => failed(e.error || new Error('tile')));
  if (layers.coverage) { layers.coverage.remove(); }
  layers.coverage = layer.addTo(map);
}

// loadGaps draws the gaps of the current tech when their box is ticked.
export function loadGaps() {
  if (layers.gaps) { layers.gaps.remove(); layers.gaps = null; }
  if (!$('l-gaps').checked) { return; }
  const tech = st.tech;
  getJSON('api/v1/gaps?tech=' + tech).then((fc) => {
    if (tech !== st.tech || !$('l-gaps').checked) { return; }
    if (layers.gaps) { layers.gaps.remove(); }
    layers.gaps = L.geoJSON(fc, { style: { renderer, weight: 1.5, color: '#b2182b', opacity: 0.9, fillColor: '#b2182b', fillOpacity: 0.25, dashArray: '4 3', interactive: false } }).addTo(map);
  }).catch(failed);
}

// Sites: canvas circle markers (1,200+ stay smooth on a phone); a tap opens the site sheet.
function siteVisible(p) {
  if (st.carrier !== 'any' && p.carrier !== st.carrier) { return false; }
  return p.technologies.indexOf(st.tech) >= 0;
}

// siteRadius is the sites' radius in pixels at the zoom.
export function siteRadius() { const z = map.getZoom(); return z >= 14 ? 7 : z >= 12.5 ? 5 : z >= 11 ? 3.5 : 2.5; }

// Below SITE_TAP_ZOOM the dots are too dense to aim at: a tap there opens the commune.
const SITE_TAP_ZOOM = 11.5;

// sitesTappable tells whether the sites take taps at the zoom.
export const sitesTappable = () => map.getZoom() >= SITE_TAP_ZOOM;

// drawSites draws the sites of the current tech and carrier when their box is ticked.
export function drawSites() {
  if (layers.sites) { layers.sites.remove(); layers.sites = null; }
  if (!$('l-sites').checked || !st.sites) { return; }
  const group = L.layerGroup(), r = siteRadius();
  st.sites.features.forEach((f) => {
    const p = f.properties;
    if (!siteVisible(p)) { return; }
    const c = f.geometry.coordinates;
    const m = L.circleMarker([c[1], c[0]], {
      renderer: siteRenderer, radius: r, weight: r > 3 ? 1.5 : 0.5, color: '#fff', fillColor: carrier(p.carrier).colour,
      fillOpacity: 0.95, bubblingMouseEvents: false, interactive: sitesTappable()
    });
    m.on('click', () => { onSiteTap(p.carrier, p.site_id, m.getLatLng()); });
    group.addLayer(m);
  });
  layers.sites = group.addTo(map);
}

// styleSites sizes the sites for the zoom and makes them take taps or not.
function styleSites() {
  if (!layers.sites) { return; }
  const r = siteRadius(), tappable = sitesTappable();
  layers.sites.eachLayer((m) => {
    m.options.interactive = tappable; // the canvas renderer reads it at each tap
    if (m.getRadius() !== r) { m.setRadius(r); m.setStyle({ weight: r > 3 ? 1.5 : 0.5 }); }
  });
}
