// map/state.js: what the map shows now (st), the Leaflet layers drawn (layers), the colours of
// every layer, look-ups into /api/v1/info, and the status line.
import { $ } from '../dom.js';
import { t } from '../i18n.js';

// st is the map's state: the choices (tech, carrier, colouring, coverage mode, fibre operator,
// combined threshold), the data loaded, and the keys and counters that drop stale answers.
export const st = {
  tech: '4G', carrier: 'any', choro: 'area', cov: 'area', fibreOp: 'any', threshold: 70,
  province: '', // one province of /api/v1/provinces, or '' for all
  provinces: [], provinceReq: 0,
  info: null, communes: null, sites: null, combined: null, context: null, population: null, pockets: null,
  siteMode: null, // how the sites are drawn now: 'clusters', 'dots' or null (not drawn)
  selected: null, // redraws the open sheet (after a change of language or technology)
  selectedCode: null, moving: false,
  planning: null, // planner mode (map/planner.js): what a tap on the map does instead

  covReq: 0, covKey: '', fibreKey: '', fibreReq: 0, reachKey: '', reachReq: 0, pocketsKey: '', pocketsReq: 0,
  measureMode: 'level', measureKey: '', measureReq: 0, measureDrawn: '', disputesKey: '', disputesReq: 0
};

// layers holds the Leaflet layers drawn now, by name (communes, coverage, gaps, context, sites,
// mark, here, fibreReach, fibreRoutes, density, pockets); a missing or null one is not drawn.
export const layers = {};

// Uncovered share classes (percent) and colours (ColorBrewer YlOrRd, colour-blind safe).
export const CHORO_BREAKS = [5, 15, 30, 50];
export const CHORO_COLOURS = ['#fffff2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
export const TIER_COLOURS = ['#08519c', '#3182bd', '#6baed6', '#bdd7e7', '#eff3ff'];
export const ANY_COLOUR = '#0b5394';
// Fibre: households' share in reach (percent) classes and colours (ColorBrewer Purples), the
// reach fill, route styles by kind, and the 2×2 combined 4G × fibre view (categories of
// /api/v1/combined; lacking both in a strong orange).
export const FIBRE_BREAKS = [25, 50, 75, 90];
export const FIBRE_COLOURS = ['#f2f0f7', '#cbc9e2', '#9e9ac8', '#756bb1', '#54278f'];
export const REACH_COLOUR = '#6a3d9a';
export const KIND_STYLE = {
  backbone: { color: '#2d004b', weight: 4.5 }, feeder: { color: '#7b3294', weight: 3 }, distribution: { color: '#a86cc1', weight: 1.6 }
};
// Dead-zone pockets (data/render's pocketColour); the density classes come with /api/v1/population.
export const POCKET_COLOUR = '#7a0177';
export const COMBINED_COLOURS = { neither: '#d95f02', '4g_only': '#80a6d6', fibre_only: '#8fc27f', both: '#2b7a78' };
// Context (serve --context): roads in dark grey, rivers and water in blue.
export const ROAD_COLOUR = '#4d4d4d';
export const WATER_COLOUR = '#2b7bba';
export const WATER_FILL = '#a6cee3';
export const COMBINED_LABEL = { neither: 'neither', '4g_only': 'only4g', fibre_only: 'onlyfibre', both: 'both' };
// Measurements: the level by the definition's tiers (TIER_COLOURS) and below the last one in red;
// measured − predicted on a diverging ramp (ColorBrewer RdBu: red where the measured level is
// below the prediction, blue above); places reports dispute in orange.
export const BELOW_TIERS_COLOUR = '#d7301f';
export const RESIDUAL_BREAKS = [-10, -5, -2, 2, 5, 10];
export const RESIDUAL_COLOURS = ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'];
export const DISPUTE_COLOUR = '#e6550d';

// levelColour is the colour of a measured level on the tiers of the chosen technology.
export function levelColour(dbm) {
  const tiers = techInfo().tiers_dbm, i = tiers.findIndex((d) => dbm >= d);
  return i < 0 ? BELOW_TIERS_COLOUR : TIER_COLOURS[i];
}

// calibrationText is the served definition's calibration in the page's language, from the
// label /api/v1/info gives ("uncalibrated" or "calibrated with N samples (FROM..TO)").
export function calibrationText(label) {
  const m = /^calibrated with (\d+) samples \((.+)\.\.(.+)\)$/.exec(label || '');
  return m ? t('calibrated_with', { n: m[1], from: m[2], to: m[3] }) : t('uncalibrated');
}

// rampColour is the colour of p (percent) on a ramp: colours[i] below breaks[i], the last colour
// from the last break up, grey for no value.
export function rampColour(p, breaks, colours) {
  if (p == null) { return '#cccccc'; }
  const i = breaks.findIndex((b) => p < b);
  return colours[i < 0 ? colours.length - 1 : i];
}

// byID finds the item of list with the id, else a grey stand-in named by the id.
function byID(list, id) {
  return (list || []).find((x) => x.id === id) || { id, name: id, colour: '#636363' };
}

// carrier is the carrier id of /api/v1/info: {id, name, colour, sites}.
export const carrier = (id) => byID(st.info && st.info.carriers, id);

// fibreOperator is the fibre operator id of /api/v1/info: {id, name, colour, reach_pct}.
export const fibreOperator = (id) => byID(st.info && st.info.fibre_operators, id);

// coverageColour is the colour of the coverage polygons of the chosen carrier (or any).
export const coverageColour = () => (st.carrier === 'any' ? ANY_COLOUR : carrier(st.carrier).colour);

// techInfo is the coverage definition of the chosen technology: metric, threshold, tiers.
export function techInfo() {
  const ts = (st.info && st.info.techs) || [];
  return ts.find((x) => x.tech === st.tech) || { tech: st.tech, tiers_dbm: [], threshold_dbm: null, metric: '' };
}

let statusTimer;

// flash shows msg in the status line, for ms milliseconds (until unflash without ms).
export function flash(msg, ms) {
  const e = $('status');
  e.textContent = msg;
  e.hidden = false;
  clearTimeout(statusTimer);
  if (ms) { statusTimer = setTimeout(() => { e.hidden = true; }, ms); }
}

// unflash hides the status line.
export function unflash() { $('status').hidden = true; }

// failed reports a failed load for a few seconds.
export function failed(e) { flash(t('load_failed') + ': ' + e.message, 4000); }

// inProvince is the query suffix of the chosen province ('' for all): the communes, gaps and
// coverage routes then answer that province only, which keeps a country's map light on a phone.
export function inProvince() { return st.province ? '&province=' + encodeURIComponent(st.province) : ''; }
