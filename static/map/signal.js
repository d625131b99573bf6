// map/signal.js: the predicted signal at a point, per carrier, and "Here" (the browser's
// position).
import { $, el, td, th, table } from '../dom.js';
import { getJSON } from '../api.js';
import { t, nf } from '../i18n.js';
import { st, layers, carrier, techInfo, flash, unflash, failed, ANY_COLOUR } from './state.js';
import { map, siteRenderer } from './layers.js';
import { openSheet, focus, dot, fine } from './sheet.js';

// showSignal marks latlng and opens the sheet of the signal predicted there; mine says latlng is
// the user's own position, where a report ("no signal here") may be made.
export function showSignal(latlng, mine) {
  if (layers.here) { layers.here.remove(); }
  layers.here = L.circleMarker(latlng, { renderer: siteRenderer, radius: 9, color: '#fff', weight: 3, fillColor: '#1a73e8', fillOpacity: 1, interactive: false }).addTo(map);
  getJSON('api/v1/signal?lon=' + latlng.lng.toFixed(6) + '&lat=' + latlng.lat.toFixed(6)).then((r) => {
    const draw = () => {
      // The best of all carriers first: it answers "can I use my phone here".
      const levels = (r.levels || []).filter((l) => l.tech === st.tech);
      levels.sort((a, b) => (b.carrier === 'any') - (a.carrier === 'any'));
      openSheet(t('signal_title') + ' · ' + st.tech, [
        el('p', { class: 'sub' }, (r.commune ? r.commune.name + ' · ' : '') + latlng.lat.toFixed(5) + ', ' + latlng.lng.toFixed(5)),
        levels.length ? levelTable(levels) : el('p', null, t('no_signal')),
        mine && el('div', { class: 'report', id: 'report-box' })
      ], draw);
      if (mine) {
        const any = levels.find((l) => l.carrier === 'any');
        import('./report.js').then((m) => m.fillReport($('report-box'), latlng, any && any.serving_carrier)).catch(failed);
      }
      focus(latlng);
    };
    draw();
  }).catch(failed);
}

// levelTable tabulates the levels per carrier (any first) and the thresholds they meet.
function levelTable(levels) {
  const ti = techInfo();
  const rows = levels.map((l) => {
    const any = l.carrier === 'any', c = any ? { name: t('any_carrier'), colour: ANY_COLOUR } : carrier(l.carrier);
    const serving = l.serving_site_id ? (any ? carrier(l.serving_carrier).name + ' ' : '') + l.serving_site_id : '';
    return el('tr', any ? { class: 'any' } : null,
      td(null, dot(c.colour), c.name, serving && [el('br'), el('small', null, t('serving') + ': ' + serving)]),
      td('n', (l.level_dbm == null ? '<\u00a0' + nf(ti.cutoff_dbm, 0) : nf(l.level_dbm, 0)) + '\u00a0dBm'),
      td(null, yn(l.covered_outdoor)), td(null, yn(l.covered_indoor)));
  });
  return [
    table([t('carrier'), th(t('level'), 'n'), th(t('outdoor'), 'c'), th(t('indoor'), 'c')], rows),
    fine(t('threshold') + ': ' + t('outdoor').toLowerCase() + ' ≥ ' + nf(levels[0].required_outdoor_dbm, 0) + ' dBm · ' +
      t('indoor').toLowerCase() + ' ≥ ' + nf(levels[0].required_indoor_dbm, 0) + ' dBm (' + ti.metric + ')')
  ];
}

// yn is a tick or a cross.
const yn = (b) => (b ? el('span', { class: 'ok', title: t('yes') }, '✓') : el('span', { class: 'no', title: t('no') }, '✗'));

// here centres the map on the browser's position and shows the signal there.
export function here() {
  if (!navigator.geolocation) { flash(t('geo_unsupported'), 3000); return; }
  flash(t('locating'));
  navigator.geolocation.getCurrentPosition((pos) => {
    unflash();
    const ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
    map.setView(ll, Math.max(map.getZoom(), 13), { animate: false });
    showSignal(ll, true);
  }, (err) => {
    flash(t('geo_denied') + (err && err.message ? ': ' + err.message : ''), 4000);
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}
