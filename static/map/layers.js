// map/layers.js: the Leaflet map and its own layers: the commune choropleth, the coverage
// polygons, the gaps, the offline context (roads, water) and the sites (canvas circle markers,
// grouped into numbered clusters when zoomed out).
import { $, el } from '../dom.js';
import { nf } from '../i18n.js';
import { getJSON } from '../api.js';
import {
  st, layers, carrier, coverageColour, techInfo, failed, rampColour, inProvince,
  CHORO_BREAKS, CHORO_COLOURS, TIER_COLOURS, FIBRE_BREAKS, FIBRE_COLOURS, COMBINED_COLOURS, ROAD_COLOUR, WATER_COLOUR, WATER_FILL
} from './state.js';

// map is the Leaflet map; renderer draws the area layers, contextRenderer the roads and water
// above them, siteRenderer the sites above those.
export let map, renderer, contextRenderer, siteRenderer;

let onSiteTap;

// initMap makes the map over /api/v1/info's bounds; tapSite(carrier, siteID, latlng) is
// called when a site is tapped.
export function initMap(tapSite) {
  onSiteTap = tapSite;
  map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: true, minZoom: 7, maxZoom: 17, zoomSnap: 0.25, zoomDelta: 0.5 });
  renderer = L.canvas({ padding: 0.3, tolerance: 4 });
  map.createPane('contextPane').style.zIndex = 420;
  contextRenderer = L.canvas({ pane: 'contextPane', padding: 0.3 });
  map.createPane('sitesPane').style.zIndex = 450;
  map.createPane('coveragePane').style.zIndex = 401; // vector-tile coverage: above the communes' canvas
  siteRenderer = L.canvas({ pane: 'sitesPane', padding: 0.3, tolerance: 10 });
  const labels = map.createPane('siteLabels');
  labels.style.zIndex = 460;
  labels.style.pointerEvents = 'none';
  // Leaflet's attribution takes HTML: a constant here, and the base map's credit, which is
  // configuration written as HTML (serve --tiles-attribution), not data.
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (st.info.tiles_url) {
    L.tileLayer(st.info.tiles_url, { attribution: st.info.tiles_attribution || '', maxZoom: 19 }).addTo(map);
  }
  if (st.info.context && st.info.context.attribution) { map.attributionControl.addAttribution(st.info.context.attribution); }
  const b = st.info.bounds, view = hashView();
  if (view) { map.setView([view.lat, view.lon], view.zoom); } else { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [8, 8] }); }
  map.on('zoomend', () => { loadCoverage(); zoomSites(); styleContext(); });
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
// communes layer carries per-tech statistics suffixed "_3g" / "_4g"; people are those of the
// population grid (covered_population_pct: of the people it counts).
function uncoveredPct(props) {
  const sfx = '_' + st.tech.toLowerCase();
  if (st.choro === 'population') {
    const cp = props['covered_population_pct' + sfx];
    if (cp == null || !props.grid_population) { return null; }
    return 100 - cp;
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
  const key = [mode, st.tech, st.carrier, mode === 'off' || tiled ? '' : covZoom(), tiled, st.province].join('|');
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
    getJSON('api/v1/coverage?tech=' + st.tech + '&carrier=' + encodeURIComponent(st.carrier) + '&tier=' + tier + '&zoom=' + covZoom() + inProvince())
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
  getJSON('api/v1/gaps?tech=' + tech + inProvince()).then((fc) => {
    if (tech !== st.tech || !$('l-gaps').checked) { return; }
    if (layers.gaps) { layers.gaps.remove(); }
    layers.gaps = L.geoJSON(fc, { style: { renderer, weight: 1.5, color: '#b2182b', opacity: 0.9, fillColor: '#b2182b', fillOpacity: 0.25, dashArray: '4 3', interactive: false } }).addTo(map);
  }).catch(failed);
}

// Context: the offline background the server was given (serve --context): roads as grey
// lines, rivers and water in blue, drawn over the commune colours and under the sites, never
// taking taps.

// contextWeight is the roads' width in pixels at the zoom.
const contextWeight = () => { const z = map.getZoom(); return z >= 13 ? 3 : z >= 11 ? 2.2 : 1.4; };

function contextStyle(f) {
  const water = f.properties.kind === 'water', w = contextWeight();
  return {
    renderer: contextRenderer, interactive: false, color: water ? WATER_COLOUR : ROAD_COLOUR, opacity: water ? 0.8 : 0.85,
    weight: water ? Math.max(1, w - 0.6) : w, fill: water, fillColor: WATER_FILL, fillOpacity: 0.7, lineCap: 'round', lineJoin: 'round'
  };
}

// drawContext draws st.context when its box is ticked.
export function drawContext() {
  if (layers.context) { layers.context.remove(); layers.context = null; }
  if (!st.context || !$('l-context').checked) { return; }
  layers.context = L.geoJSON(st.context, { style: contextStyle }).addTo(map);
}

// styleContext widens the roads with the zoom.
function styleContext() { if (layers.context) { layers.context.setStyle(contextStyle); } }

// Sites: canvas circle markers (1,200+ stay smooth on a phone); a tap opens the site sheet.
function siteVisible(p) {
  if (st.carrier !== 'any' && p.carrier !== st.carrier) { return false; }
  return p.technologies.indexOf(st.tech) >= 0;
}

// siteRadius is the sites' radius in pixels at the zoom.
export function siteRadius() { const z = map.getZoom(); return z >= 14 ? 7 : z >= 12.5 ? 5 : z >= 11 ? 3.5 : 2.5; }

// Below SITE_TAP_ZOOM single sites are too dense to aim at: a tap there opens the commune (or,
// on a cluster, zooms in).
const SITE_TAP_ZOOM = 11.5;

// sitesTappable tells whether the sites take taps at the zoom.
export const sitesTappable = () => map.getZoom() >= SITE_TAP_ZOOM;

// Sites by zoom. Below SITE_TAP_ZOOM (province and district zooms) the 1,250 dots would hide the
// commune colours and cannot be aimed at: sites close on screen are drawn as one numbered
// circle per CLUSTER_PX square (a tap zooms in to them; a lone site stays a dot). From
// SITE_TAP_ZOOM on, one dot per site, and a tap opens its sheet.
const CLUSTER_PX = 56;

// clusterRadius is the radius in pixels of a cluster of n sites: its area grows with n, from
// room for one digit to room for three.
export const clusterRadius = (n) => Math.min(14, 4 + 1.2 * Math.sqrt(n));

// siteMode is how the sites are drawn at the zoom: 'clusters' or 'dots'.
export const siteMode = () => (map.getZoom() < SITE_TAP_ZOOM ? 'clusters' : 'dots');

// clusterSites groups features by square of CLUSTER_PX pixels at the map's zoom: for each, the
// sites' count, their mean position, their bounds and their carrier when they share one.
export function clusterSites(features) {
  const z = map.getZoom(), cells = new Map();
  features.forEach((f) => {
    const c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]), p = map.project(ll, z);
    const key = Math.floor(p.x / CLUSTER_PX) + ':' + Math.floor(p.y / CLUSTER_PX);
    let k = cells.get(key);
    if (!k) { k = { n: 0, lat: 0, lon: 0, bounds: L.latLngBounds(ll, ll), carrier: f.properties.carrier, first: f }; cells.set(key, k); }
    k.n++; k.lat += c[1]; k.lon += c[0]; k.bounds.extend(ll);
    if (k.carrier !== f.properties.carrier) { k.carrier = null; }
  });
  return [...cells.values()].map((k) => ({ ...k, lat: k.lat / k.n, lon: k.lon / k.n }));
}

// siteDot is one site's dot (tappable from SITE_TAP_ZOOM on).
function siteDot(f, r) {
  const p = f.properties, c = f.geometry.coordinates;
  const m = L.circleMarker([c[1], c[0]], {
    renderer: siteRenderer, radius: r, weight: r > 3 ? 1.5 : 0.5, color: '#fff', fillColor: carrier(p.carrier).colour,
    fillOpacity: 0.95, bubblingMouseEvents: false, interactive: sitesTappable()
  });
  m.on('click', () => { onSiteTap(p.carrier, p.site_id, m.getLatLng()); });
  return m;
}

// clusterMark is a numbered circle for k.n > 1 sites (a lone site is its dot); a tap zooms in
// until they separate.
function clusterMark(k, group) {
  if (k.n === 1) { group.addLayer(siteDot(k.first, siteRadius())); return; }
  const ll = [k.lat, k.lon];
  const m = L.circleMarker(ll, {
    renderer: siteRenderer, radius: clusterRadius(k.n), weight: 1.5, color: '#fff',
    fillColor: k.carrier ? carrier(k.carrier).colour : '#37474f', fillOpacity: 0.8, bubblingMouseEvents: false, interactive: true
  });
  m.options.sites = k.n;
  m.on('click', () => { map.fitBounds(k.bounds.pad(0.4), { maxZoom: SITE_TAP_ZOOM + 1 }); });
  group.addLayer(m);
  group.addLayer(L.marker(ll, {
    pane: 'siteLabels', interactive: false, keyboard: false,
    icon: L.divIcon({ className: 'site-count', iconSize: [0, 0], html: el('span', null, nf(k.n)) })
  }));
}

// drawSites draws the sites of the current tech and carrier, as the zoom asks (siteMode), when
// their box is ticked.
export function drawSites() {
  if (layers.sites) { layers.sites.remove(); layers.sites = null; }
  st.siteMode = null;
  if (!$('l-sites').checked || !st.sites) { return; }
  const group = L.layerGroup(), shown = st.sites.features.filter((f) => siteVisible(f.properties));
  st.siteMode = siteMode();
  if (st.siteMode === 'clusters') {
    clusterSites(shown).forEach((k) => clusterMark(k, group));
  } else {
    const r = siteRadius();
    shown.forEach((f) => group.addLayer(siteDot(f, r)));
  }
  layers.sites = group.addTo(map);
}

// zoomSites follows a zoom change: clusters are regrouped at every zoom, dots only resized.
function zoomSites() {
  if (!layers.sites) { return; }
  if (st.siteMode === 'clusters' || siteMode() === 'clusters') { drawSites(); return; }
  const r = siteRadius(), tappable = sitesTappable();
  layers.sites.eachLayer((m) => {
    m.options.interactive = tappable; // the canvas renderer reads it at each tap
    if (m.getRadius() !== r) { m.setRadius(r); m.setStyle({ weight: r > 3 ? 1.5 : 0.5 }); }
  });
}

// sitesDrawn says how the sites are drawn, for tests: the mode, the marks (circles) and the
// sites they stand for.
export function sitesDrawn() {
  const out = { mode: st.siteMode, marks: 0, sites: 0 };
  if (layers.sites) {
    layers.sites.eachLayer((m) => { if (m instanceof L.CircleMarker) { out.marks++; out.sites += m.options.sites || 1; } });
  }
  return out;
}
