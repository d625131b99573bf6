// map/site.js: a site's sheet (technologies, sectors) and its mark on the map.
import { el, td, th, table } from '../dom.js';
import { getJSON } from '../api.js';
import { t, nf } from '../i18n.js';
import { st, layers, carrier, failed } from './state.js';
import { map, siteRenderer, siteRadius } from './layers.js';
import { openSheet, focus, dot, fine } from './sheet.js';

// STATUS_KEYS are the sites' statuses (data.Status) with a string; another shows as it is.
const STATUS_KEYS = ['active', 'planned'];

// showSite opens the sheet of a site and marks it (latlng: where it was tapped).
export function showSite(carrierID, siteID, latlng) {
  getJSON('api/v1/sites/' + encodeURIComponent(carrierID) + '/' + encodeURIComponent(siteID)).then((f) => {
    const draw = () => {
      const p = f.properties, c = carrier(p.carrier);
      const perTech = {};
      const rows = (p.sectors || []).map((s) => {
        perTech[s.tech] = (perTech[s.tech] || 0) + 1;
        return el('tr', null, td(null, s.tech + ' · ' + perTech[s.tech]), td('n', Math.round(s.band_mhz)),
          td('n', s.omni ? t('omni') : nf(s.azimuth_deg) + '°'), td('n', nf(s.tilt_deg, 0) + '°'), td('n', nf(s.power_dbm, 0)));
      });
      openSheet([dot(c.colour), c.name + ' · ' + p.site_id], [
        el('p', { class: 'facts' }, t('techs') + ': ', el('b', null, p.technologies.join(', ')), ' · ' + t('height') + ': ' +
          nf(p.height_m, 0) + ' m · ' + t('status') + ': ' + (STATUS_KEYS.includes(p.status) ? t(p.status) : p.status)),
        table([t('sectors'), th([t('band'), el('br'), 'MHz'], 'n'), th(t('azimuth'), 'n'), th(t('tilt'), 'n'), th([t('power'), el('br'), 'dBm'], 'n')], rows),
        st.info.demo && fine(t('demo_short'))
      ], draw);
      markSite(f);
      if (latlng) { focus(latlng); }
    };
    draw();
  }).catch(failed);
}

// markSite rings the selected site and draws its sectors' boresights (40 px long) for the current
// technology, so the sheet's table can be read against the map.
function markSite(f) {
  if (layers.mark) { layers.mark.remove(); }
  const c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]), col = carrier(f.properties.carrier).colour;
  const g = L.layerGroup();
  const mPerDegLat = 111320, mPerDegLon = 111320 * Math.cos(ll.lat * Math.PI / 180);
  (f.properties.sectors || []).forEach((s) => {
    if (s.tech !== st.tech || s.omni) { return; }
    const a = s.azimuth_deg * Math.PI / 180, d = 40 * 156543.03 * Math.cos(ll.lat * Math.PI / 180) / Math.pow(2, map.getZoom()); // 40 px
    const end = [ll.lat + d * Math.cos(a) / mPerDegLat, ll.lng + d * Math.sin(a) / mPerDegLon];
    L.polyline([ll, end], { renderer: siteRenderer, color: '#111', weight: 3, opacity: 0.85, interactive: false }).addTo(g);
  });
  L.circleMarker(ll, { renderer: siteRenderer, radius: siteRadius() + 6, color: '#111', weight: 3, fill: true, fillColor: col, fillOpacity: 1, interactive: false }).addTo(g);
  layers.mark = g.addTo(map);
}
