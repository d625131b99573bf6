/* phusong web map: the entry module of index.html. Leaflet (vendor/leaflet/leaflet.js, a classic
   script: the global L) loads first; no build step, no CDN, no HTML strings. Mobile first:
   everything is a tap, details open in a bottom sheet (a side panel on wide screens). All data
   comes from /api/v1.

   Module map. This file imports every module the first paint needs itself, and index.html
   preloads strings.js, so none is more than one fetch behind this one (static/modules_test.go):
     app.js          this file: the controls, language changes, the first load, window.phusong
     i18n.js         the language (vi/en), t(), number formats         } shared with the
     strings.js      every string of both pages, vi and en side by side  } upload page
     api.js          JSON requests                                       } (upload.js)
     dom.js          elements and text nodes, never HTML strings         }
     map/state.js    the state, layer registry, colours, /api/v1/info look-ups, status line
     map/layers.js   the Leaflet map: commune choropleth, coverage, gaps, context (roads, water),
                     sites (numbered clusters when zoomed out, dots when zoomed in)
     map/fibre.js    fibre reach and routes, the combined 4G × fibre view (imported on first use)
     map/people.js   population density, dead-zone pockets and their sheets (imported on first use)
     map/legend.js   the legend in the layers panel and the mini legend
     map/sheet.js    the sheet, the layers panel, figures and swatches the sheets share
     map/commune.js  the commune at a point, a commune's sheet, the combined list
     map/site.js     a site's sheet and its mark on the map
     map/signal.js   the signal at a point and "Here" (geolocation)
     map/report.js   "no signal here": one tap reports what the phone does (imported on use)
     map/measure.js  measurements, disputed places, the calibration sheet (imported on first use)
     map/tiles.js    vector tiles: a small MVT decoder and a canvas GridLayer (?coverage=tiles; on demand)
     map/planner.js  planner mode: a what-if scenario edited on the map, suggestions (imported on first use) */
import { $, el, setOptions } from './dom.js';
import { getJSON } from './api.js';
import { t, nf, pct, translate, onLangButton } from './i18n.js';
import { st, layers, flash, unflash, failed } from './map/state.js';
import { map, initMap, drawCommunes, restyleCommunes, loadCoverage, loadGaps, drawContext, drawSites, sitesTappable, sitesDrawn } from './map/layers.js';
import { renderLegend, renderMiniLegend } from './map/legend.js';
import { openSheet, closeSheet, showPanel } from './map/sheet.js';
import { communeAt, showCommuneAt } from './map/commune.js';
import { showSite } from './map/site.js';
import { here } from './map/signal.js';

// applyLang relabels the page and redraws what holds strings.
function applyLang() {
  translate();
  showArea();
  if (st.info) {
    setOptions($('carrier'), [['any', t('any_carrier')]].concat(
      st.info.carriers.filter((c) => c.sites > 0).map((c) => [c.id, c.name + ' (' + nf(c.sites) + ')'])), st.carrier);
    setOptions($('fibre-op'), [['any', t('any_operator')]].concat(
      (st.info.fibre_operators || []).map((o) => [o.id, o.name + ' (' + pct(o.reach_pct) + ')'])), st.fibreOp);
    setOptions($('province'), [['', t('all_provinces')]].concat(st.provinces.map((p) => [p.name, p.name])), st.province);
  }
  renderLegend();
  if (st.selected) { st.selected(); }
  sizeNote();
}

// areaName names what the map shows, from the data (/api/v1/provinces): the chosen province,
// the one province of the communes, the number of provinces, or nothing when the communes
// name none (the map never claims a province the data does not name).
function areaName() {
  const named = st.provinces.filter((p) => p.name);
  if (st.province) { return st.province; }
  if (named.length === 1 && st.provinces.length === 1) { return named[0].name; }
  return named.length > 1 ? t('n_provinces', { n: named.length }) : '';
}

// showArea puts areaName in the title bar and the page's title.
function showArea() {
  const area = areaName();
  $('province-name').textContent = area;
  document.title = t('title') + (area ? ' ' + area : '');
}

// press marks the button of a group whose attr is value as pressed, the others not.
function press(groupSel, attr, value) {
  document.querySelectorAll(groupSel + ' button').forEach((b) => {
    b.setAttribute('aria-pressed', String(b.getAttribute(attr) === value));
  });
}

// onButtons calls pick(value of attr) when a button of the group is pressed, after marking it.
function onButtons(groupSel, attr, pick) {
  document.querySelectorAll(groupSel + ' button').forEach((b) => {
    b.addEventListener('click', () => { const v = b.getAttribute(attr); press(groupSel, attr, v); pick(v); });
  });
}

// sizeNote makes room for the demo note above the map.
function sizeNote() {
  const n = $('demo-note');
  if (!n.hidden) { document.body.style.setProperty('--note-h', n.offsetHeight + 'px'); }
  if (map) { map.invalidateSize(); }
}

// withFibre calls use with map/fibre.js, importing it the first time: nothing of fibre, code
// or data, loads before a fibre layer or colouring is asked for (nor before the map exists).
function withFibre(use) {
  if (map) { import('./map/fibre.js').then(use).catch(failed); }
}

// withMeasure calls use with map/measure.js, imported the first time a measurement layer or
// the calibration is asked for.
function withMeasure(use) {
  if (map) { import('./map/measure.js').then(use).catch(failed); }
}

// measureShown tells whether a measurement layer is on (to reload after a change of tech or carrier).
const measureShown = () => $('l-measure').checked || $('l-disputes').checked;

// withPeople calls use with map/people.js, importing it the first time (as withFibre).
function withPeople(use) {
  if (map) { import('./map/people.js').then(use).catch(failed); }
}

// choroChanged follows a change of the commune colouring. The fibre colourings turn the 4G
// coverage polygons off (drawn over the communes they would tint every colour blue); the
// user may turn them on again.
function choroChanged() {
  $('threshold-row').hidden = st.choro !== 'combined';
  if ((st.choro === 'fibre' || st.choro === 'combined') && st.cov !== 'off') {
    st.cov = 'off';
    press('#covmode', 'data-cov', 'off');
    loadCoverage();
  }
  if (st.choro === 'combined') { withFibre((f) => f.loadCombined()); }
  restyleCommunes();
  renderLegend();
}

function bind() {
  onLangButton(applyLang);
  $('layers-btn').addEventListener('click', () => showPanel($('layers').hidden));
  document.querySelectorAll('[data-close]').forEach((b) => {
    b.addEventListener('click', () => { if (b.getAttribute('data-close') === 'sheet') { closeSheet(); } else { showPanel(false); } });
  });
  onButtons('#techs', 'data-tech', (v) => { st.tech = v; refresh(); });
  onButtons('#choro', 'data-choro', (v) => { st.choro = v; choroChanged(); });
  onButtons('#covmode', 'data-cov', (v) => { st.cov = v; loadCoverage(); renderLegend(); });
  $('carrier').addEventListener('change', (e) => {
    st.carrier = e.target.value; loadCoverage(); drawSites(); renderLegend();
    if (measureShown()) { withMeasure((m) => m.loadMeasure()); }
  });
  $('l-communes').addEventListener('change', () => { restyleCommunes(); renderLegend(); });
  $('province').addEventListener('change', (e) => pickProvince(e.target.value));
  $('l-gaps').addEventListener('change', () => { loadGaps(); renderLegend(); });
  $('l-sites').addEventListener('change', () => { drawSites(); renderLegend(); });
  $('l-context').addEventListener('change', () => { drawContext(); renderLegend(); });
  $('l-density').addEventListener('change', () => { withPeople((p) => p.loadDensity()); renderLegend(); });
  $('l-pockets').addEventListener('change', () => { withPeople((p) => p.loadPockets()); renderLegend(); });
  $('fibre-op').addEventListener('change', (e) => { st.fibreOp = e.target.value; withFibre((f) => f.loadFibre()); renderLegend(); });
  $('l-fibre-reach').addEventListener('change', () => { withFibre((f) => f.loadFibreReach()); renderLegend(); });
  $('l-fibre-routes').addEventListener('change', () => { withFibre((f) => f.loadFibreRoutes()); renderLegend(); });
  $('threshold').addEventListener('change', (e) => { st.threshold = +e.target.value; withFibre((f) => f.loadCombined()); renderMiniLegend(); });
  $('l-measure').addEventListener('change', () => { withMeasure((m) => m.loadMeasurements()); renderLegend(); });
  onButtons('#measure-mode', 'data-measure', (v) => { st.measureMode = v; withMeasure((m) => m.loadMeasurements()); renderLegend(); });
  $('l-disputes').addEventListener('change', () => { withMeasure((m) => m.loadDisputes()); renderLegend(); });
  $('calib-more').addEventListener('click', () => withMeasure((m) => m.showCalibration()));
  $('here').addEventListener('click', here);
  $('planner-start').addEventListener('click', () => {
    if (!map) { return; }
    import('./map/planner.js').then((p) => p.start($('planner-token').value).then(() => showPanel(false)).catch(p.flashError)).catch(failed);
  });
  $('mini-legend').addEventListener('click', () => showPanel(true));
  $('demo-more').addEventListener('click', () => {
    openSheet(t('demo_title'), [el('p', null, st.info.note), st.info.population_note && el('p', null, st.info.population_note)]);
  });
  window.addEventListener('resize', sizeNote);
}

// pickProvince shows one province (its name) or all (''): the view fits its box, and the
// communes, coverage and gaps are fetched for it alone.
function pickProvince(name) {
  st.province = name;
  showArea();
  const p = st.provinces.find((x) => x.name === name);
  const b = p ? p.bbox : st.info.bounds;
  if (b) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [8, 8] }); }
  const req = ++st.provinceReq;
  getJSON('api/v1/communes' + (name ? '?province=' + encodeURIComponent(name) : '')).then((fc) => {
    if (req !== st.provinceReq) { return; }
    st.communes = fc;
    drawCommunes();
    loadCoverage();
    loadGaps();
  }).catch(failed);
}

// refresh redraws every layer after a change of technology.
function refresh() {
  $('csv-link').href = 'api/v1/report.csv?tech=' + st.tech;
  ['gaps', 'pockets'].forEach((what) => {
    ['kml', 'csv', 'geojson'].forEach((f) => {
      const a = $(what + '-' + f);
      a.href = 'api/v1/' + what + '?tech=' + st.tech + (f === 'geojson' ? '' : '&format=' + f);
      a.setAttribute('download', 'phusong_' + what + '_' + st.tech + '.' + f);
    });
  });
  restyleCommunes();
  loadCoverage();
  loadGaps();
  if ($('l-pockets').checked) { withPeople((p) => p.loadPockets()); }
  drawSites();
  renderLegend();
  if (measureShown()) { withMeasure((m) => m.loadMeasure()); }
  if (st.selected) { st.selected(); }
}

function start() {
  bind();
  applyLang();
  flash(t('loading'));
  getJSON('api/v1/info').then((info) => {
    st.info = info;
    if (info.demo) { $('demo-note').hidden = false; document.body.classList.add('has-note'); }
    initMap(showSite);
    map.on('click', (e) => {
      if (st.planning) { st.planning(e.latlng); return; }
      if (!$('l-pockets').checked) { showCommuneAt(e.latlng); return; }
      withPeople((p) => { const f = p.pocketAt(e.latlng); if (f) { p.showPocket(f, e.latlng); } else { showCommuneAt(e.latlng); } });
    });
    let siteMode = null; // the legend explains clusters while they are drawn
    map.on('zoomend', () => { if (st.siteMode !== siteMode) { siteMode = st.siteMode; renderLegend(); } });
    applyLang();
    $('context-row').hidden = !info.context;
    return Promise.all([
      getJSON('api/v1/communes').then((fc) => { st.communes = fc; drawCommunes(); }),
      getJSON('api/v1/provinces').then((ps) => {
        st.provinces = ps.provinces;
        $('province-row').hidden = ps.provinces.length < 2; // one province: nothing to choose
        applyLang();
      }),
      getJSON('api/v1/sites').then((fc) => { st.sites = fc; drawSites(); }),
      info.context && getJSON('api/v1/context').then((fc) => { st.context = fc; drawContext(); })
    ]);
  }).then(() => {
    unflash();
    refresh();
    document.body.setAttribute('data-ready', 'true');
  }).catch((e) => {
    flash(t('load_failed') + ': ' + e.message);
    document.body.setAttribute('data-ready', 'error');
  });
}

// Exposed for the browser tests and for debugging in the console.
window.phusong = {
  planner: () => import('./map/planner.js'),
  state: st, layers, communeAt, map: () => map, sitesTappable, sitesDrawn,
  idle: () => !!map && !st.moving && !map._animatingZoom
};
start();
