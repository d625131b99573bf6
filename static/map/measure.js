// map/measure.js: the measurements (squares of drive-test samples coloured by level or by
// measured − predicted), the places where reports dispute the map, and the calibration sheet.
// Like their data, this module loads on demand, never on first paint.
import { $, el, td, th, table } from '../dom.js';
import { getJSON } from '../api.js';
import { t, nf } from '../i18n.js';
import {
  st, layers, carrier, failed, rampColour, levelColour, calibrationText, techInfo,
  RESIDUAL_BREAKS, RESIDUAL_COLOURS, DISPUTE_COLOUR
} from './state.js';
import { map } from './layers.js';
import { openSheet, fine, dot } from './sheet.js';

// The module is imported on first use (app.js), when the map exists: from then on the layers
// have their panes (above coverage and fibre, below the sites) and follow the view.
const renderers = {};
[['measure', 430], ['disputes', 440]].forEach(([name, z]) => {
  map.createPane(name + 'Pane').style.zIndex = z;
  renderers[name] = L.canvas({ pane: name + 'Pane', padding: 0.3, tolerance: 2 });
});
map.on('moveend', () => { loadMeasurements(); });

// loadMeasure reloads both layers (after a change of technology or carrier).
export function loadMeasure() { loadMeasurements(); loadDisputes(); }

// carrierParam is the carrier= of the requests ('' for any carrier).
const carrierParam = () => (st.carrier === 'any' ? '' : '&carrier=' + encodeURIComponent(st.carrier));

// view is the zoom the squares are sized for and, from zoom 13 (100–250 m squares), the bbox of
// the view (padded by half), rounded so that small pans reuse the answer.
function view() {
  const z = Math.round(map.getZoom());
  if (z < 13) { return { zoom: z, bbox: '' }; }
  const b = map.getBounds().pad(0.5), r = (x) => Math.round(x * 50) / 50;
  return { zoom: z, bbox: [r(b.getWest()), r(b.getSouth()), r(b.getEast()), r(b.getNorth())].join(',') };
}

// loadMeasurements draws the measurement squares of the chosen tech and carrier when their box is
// ticked, coloured by the mode (level or residual).
export function loadMeasurements() {
  if (!$('l-measure').checked) {
    if (layers.measure) { layers.measure.remove(); layers.measure = null; }
    st.measureKey = '';
    return;
  }
  const v = view();
  const key = [st.tech, st.carrier, st.measureMode, v.zoom, v.bbox].join('|');
  if (key === st.measureKey) { return; }
  st.measureKey = key;
  const req = ++st.measureReq, mode = st.measureMode;
  getJSON('api/v1/measurements?tech=' + st.tech + carrierParam() + '&zoom=' + v.zoom + (v.bbox ? '&bbox=' + v.bbox : '')).then((fc) => {
    if (req !== st.measureReq) { return; }
    const fill = (p) => (mode === 'residual' ? rampColour(p.mean_residual_db, RESIDUAL_BREAKS, RESIDUAL_COLOURS) : levelColour(p.mean_level_dbm));
    if (layers.measure) { layers.measure.remove(); }
    layers.measure = L.geoJSON(fc, {
      style: (f) => ({ renderer: renderers.measure, weight: 0.5, color: '#555', opacity: 0.5, fillColor: fill(f.properties), fillOpacity: 0.8, bubblingMouseEvents: false }),
      onEachFeature: (f, l) => l.on('click', (e) => showSquare(f.properties, e.latlng))
    }).addTo(map);
    st.measureDrawn = key;
  }).catch((e) => { st.measureKey = ''; failed(e); });
}

// showSquare opens the sheet of one square of measurements.
function showSquare(p, latlng) {
  const draw = () => openSheet(t('l_measure_on') + ' · ' + st.tech, [
    el('p', { class: 'sub' }, latlng.lat.toFixed(4) + ', ' + latlng.lng.toFixed(4) + ' · ' + nf(p.cell_m) + ' m'),
    table([t('samples'), th(t('measured_level'), 'n'), th(t('residual'), 'n')], [el('tr', null,
      td('n', nf(p.samples)), td('n', nf(p.mean_level_dbm, 1) + '\u00a0dBm'),
      td('n', p.mean_residual_db == null ? '–' : (p.mean_residual_db > 0 ? '+' : '') + nf(p.mean_residual_db, 1) + '\u00a0dB'))]),
    fine(t('residual') + ': ' + (p.mean_residual_db == null ? '' : p.mean_residual_db < 0 ? t('worse') : t('better')) + ' · ' + calibrationText(p.calibration)),
    p.synthetic && fine(p.note)
  ], draw);
  draw();
}

// loadDisputes draws the places reports dispute, of the chosen tech and carrier, when their box
// is ticked.
export function loadDisputes() {
  if (!$('l-disputes').checked) {
    if (layers.disputes) { layers.disputes.remove(); layers.disputes = null; }
    st.disputesKey = '';
    return;
  }
  const key = st.tech + '|' + st.carrier;
  if (key === st.disputesKey) { return; }
  st.disputesKey = key;
  const req = ++st.disputesReq;
  getJSON('api/v1/disputes?tech=' + st.tech + carrierParam()).then((fc) => {
    if (req !== st.disputesReq) { return; }
    if (layers.disputes) { layers.disputes.remove(); }
    layers.disputes = L.geoJSON(fc, {
      style: { renderer: renderers.disputes, weight: 2.5, color: DISPUTE_COLOUR, dashArray: '5 3', fillColor: DISPUTE_COLOUR, fillOpacity: 0.25, bubblingMouseEvents: false },
      onEachFeature: (f, l) => l.on('click', () => showDispute(f.properties))
    }).addTo(map);
  }).catch((e) => { st.disputesKey = ''; failed(e); });
}

// REVIEW_LABEL names the carriers' review states.
const REVIEW_LABEL = { open: 'st_open', reviewed: 'st_reviewed', resolved: 'st_resolved' };

// showDispute opens the sheet of one disputed place.
function showDispute(p) {
  const c = carrier(p.carrier);
  const draw = () => openSheet(t('dispute_title'), [
    el('p', { class: 'sub' }, dot(c.colour), c.name + ' · ' + p.tech + ' · ' + (p.direction === 'worse' ? t('worse') : t('better'))),
    table([t('reporters'), th(t('days'), 'n'), th(t('review_state'), 'c')], [el('tr', null,
      td('n', nf(p.reporters)), td('n', nf(p.days)), td(null, t(REVIEW_LABEL[p.review_state] || p.review_state)))]),
    fine(p.first_day + ' … ' + p.last_day + ' · ' + calibrationText(p.calibration)),
    p.synthetic && fine(p.note)
  ], draw);
  draw();
}

// showCalibration opens the sheet of the served calibration: its corrections per carrier ×
// technology × land class with their hold-out error, what was not calibrated and why, and the
// measurements against the predictions for the chosen technology.
export function showCalibration() {
  Promise.all([getJSON('api/v1/calibration'), getJSON('api/v1/measurements/stats?tech=' + st.tech)]).then(([cal, stats]) => {
    const rmse = (h) => nf(h.before.rmse_db, 1) + ' → ' + nf(h.after.rmse_db, 1);
    const land = (l) => t(l === 'ward' ? 'ward' : 'commune');
    const draw = () => openSheet(t('calib_title'), [
      el('p', { class: 'sub' }, calibrationText(cal.calibration)),
      cal.corrections.length
        ? table([t('carrier'), t('land'), th(t('k1'), 'n'), th(t('k2'), 'n'), th(t('rmse_before_after'), 'n')], cal.corrections.map((k) =>
          el('tr', null, td(null, dot(carrier(k.carrier).colour), carrier(k.carrier).name + ' ' + k.tech), td(null, land(k.land)),
            td('n', (k.offset_db > 0 ? '+' : '') + nf(k.offset_db, 1)), td('n', (k.slope_db_per_decade > 0 ? '+' : '') + nf(k.slope_db_per_decade, 1)),
            td('n', rmse(k.holdout)))))
        : fine(t('no_corrections')),
      cal.refused.length > 0 && [el('p', { class: 'kcap' }, t('refused')), el('ul', { class: 'facts' },
        cal.refused.map((r) => el('li', null, carrier(r.carrier).name + ' ' + r.tech + ' ' + land(r.land) + ': ' + r.reason)))],
      el('p', { class: 'kcap' }, t('measure_stats', { tech: st.tech })),
      stats.groups.length
        ? table([t('carrier'), t('land'), th(t('samples'), 'n'), th(t('mean_error'), 'n'), th('RMSE', 'n')], stats.groups.map((g) =>
          el('tr', null, td(null, dot(carrier(g.carrier).colour), carrier(g.carrier).name), td(null, land(g.land)),
            td('n', nf(g.count)), td('n', nf(g.mean_db, 1)), td('n', nf(g.rmse_db, 1)))))
        : fine(t('no_measure')),
      fine(t('residual') + ' (dB) · ' + techInfo().metric + ' · ' + nf(stats.window_dbm[0]) + '…' + nf(stats.window_dbm[1]) + ' dBm'),
      stats.note && fine(stats.note)
    ], draw);
    draw();
  }).catch(failed);
}
