// map/people.js: where people live. The population density image and the dead-zone pockets
// (places where people live without the technology's coverage), labelled with their people; a
// pocket's sheet, and the list of a commune's pockets for its sheet. Like its data, this module
// loads on demand (app.js), never on first paint.
import { $, el, td, th, table } from '../dom.js';
import { getJSON } from '../api.js';
import { t, nf } from '../i18n.js';
import { st, layers, carrier, failed, POCKET_COLOUR } from './state.js';
import { map, covZoom } from './layers.js';
import { openSheet, focus, kpi, dot, fine } from './sheet.js';
import { renderLegend } from './legend.js';
import { featureAt } from './commune.js';

// The density image lies above the communes and coverage, the pockets above the fibre layers,
// both below the sites; the pockets' labels above the sites.
map.createPane('densityPane').style.zIndex = 405;
map.createPane('pocketsPane').style.zIndex = 430;
map.createPane('pocketLabelsPane').style.zIndex = 460;
const pocketRenderer = L.canvas({ pane: 'pocketsPane', padding: 0.3 });
map.on('zoomend', loadPockets);

// POCKET_LABELS_BELOW_Z11 is how many of the largest pockets are labelled below zoom 11 (all
// from 11 up): the province view stays readable on a phone.
const POCKET_LABELS_BELOW_Z11 = 12;

// loadDensity draws (or removes) the density image as its box says; the first time, it reads
// /api/v1/population (the image's place and classes), kept in st.population for the legend.
export function loadDensity() {
  if (!$('l-density').checked) {
    if (layers.density) { layers.density.remove(); layers.density = null; }
    renderLegend();
    return;
  }
  const show = (p) => {
    if (!$('l-density').checked || layers.density) { return; }
    const b = p.image.bounds;
    layers.density = L.imageOverlay(p.image.url, [[b[1], b[0]], [b[3], b[2]]], { pane: 'densityPane', opacity: 0.8, interactive: false, className: 'density' }).addTo(map);
    renderLegend();
  };
  if (st.population) { show(st.population); return; }
  getJSON('api/v1/population').then((p) => { st.population = p; show(p); }).catch(failed);
}

// loadPockets draws the pockets of the current tech (those the API keeps: 50 people or more)
// when their box is ticked, simplified for the zoom; the largest are labelled with their people.
export function loadPockets() {
  if (!$('l-pockets').checked) {
    if (layers.pockets) { layers.pockets.remove(); layers.pockets = null; }
    st.pocketsKey = '';
    return;
  }
  const key = st.tech + '|' + covZoom();
  if (key === st.pocketsKey) { return; }
  st.pocketsKey = key;
  const req = ++st.pocketsReq;
  getJSON('api/v1/pockets?tech=' + st.tech + '&zoom=' + covZoom()).then((fc) => {
    if (req !== st.pocketsReq) { return; }
    st.pockets = fc;
    const group = L.layerGroup();
    L.geoJSON(fc, {
      style: { renderer: pocketRenderer, weight: 1.5, color: POCKET_COLOUR, opacity: 0.9, fillColor: POCKET_COLOUR, fillOpacity: 0.35, interactive: false }
    }).addTo(group);
    const all = map.getZoom() >= 11;
    fc.features.forEach((f) => {
      const p = f.properties;
      if (!all && p.rank > POCKET_LABELS_BELOW_Z11) { return; }
      const label = el('span', null, nf(p.people));
      L.marker([p.centre_lat, p.centre_lon], {
        pane: 'pocketLabelsPane', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'pocket-label', html: label, iconSize: null })
      }).addTo(group);
    });
    if (layers.pockets) { layers.pockets.remove(); }
    layers.pockets = group.addTo(map);
  }).catch((e) => { st.pocketsKey = ''; failed(e); });
}

// pocketAt is the drawn pocket latlng lies in (a tap on the map asks: like the communes, the
// pockets take no events themselves, the sites' canvas lying above them), or null.
export function pocketAt(latlng) { return layers.pockets ? featureAt(st.pockets, latlng) : null; }

// showPocket opens a pocket's sheet: its people, households and area, the communes it lies in,
// the nearest site of each carrier and the nearest fibre access point.
export function showPocket(f, latlng) {
  const draw = () => {
    const p = f.properties;
    const sites = st.info.carriers.filter((c) => p['nearest_' + c.id + '_site']).map((c) => {
      const lacks = !p['nearest_' + c.id + '_has_tech'];
      return el('tr', null, td(null, dot(carrier(c.id).colour), c.name), td(null, p['nearest_' + c.id + '_site'] + (lacks ? ' *' : '')),
        td('n', nf(p['nearest_' + c.id + '_m'] / 1000, 1)));
    });
    openSheet(t('pocket_title', { n: p.rank, tech: p.tech }), [
      el('p', { class: 'sub' }, p.commune_name + (p.communes.length > 1 ? ' · ' + t('pocket_also', { n: p.communes.length - 1 }) : '')),
      el('div', { class: 'kpis' }, kpi(nf(p.people), t('people_without', { tech: p.tech }), true),
        kpi(nf(p.households), t('households'), false), kpi(nf(p.area_km2, 2) + ' km²', t('area'), false)),
      sites.length > 0 && table([t('nearest_site'), th(t('serving')), th('km', 'n')], sites),
      sites.length > 0 && fine(t('nearest_lacks', { tech: p.tech })),
      p.fibre_access_point && el('p', { class: 'facts' }, t('nearest_ap') + ': ' + p.fibre_access_point + ' · ' + nf(p.fibre_access_point_m / 1000, 1) + ' km'),
      fine(t('pocket_basis')),
      st.info.population_note && fine(t('population_demo'))
    ], draw);
    focus(latlng || L.latLng(p.centre_lat, p.centre_lon));
  };
  draw();
}

// communePockets resolves to the rows of a commune's pockets for its sheet (rank order, 50
// people or more): each row opens the pocket; null when it has none.
export function communePockets(code, tech) {
  return getJSON('api/v1/pockets?tech=' + tech + '&commune=' + encodeURIComponent(code) + '&zoom=' + covZoom()).then((fc) => {
    if (!fc.features.length) { return null; }
    const rows = fc.features.map((f) => {
      const p = f.properties;
      const tr = el('tr', { class: 'pick' }, td(null, '#' + p.rank), td('n', nf(p.people)), td('n', nf(p.area_km2, 2)),
        td('n', p.fibre_access_point_m != null ? nf(p.fibre_access_point_m / 1000, 1) : '–'));
      tr.addEventListener('click', () => showPocket(f));
      return tr;
    });
    return [el('p', { class: 'kcap' }, t('l_pockets') + ' (' + tech + ')'),
      table([t('pocket'), th(t('people'), 'n'), th('km²', 'n'), th(t('fibre_km'), 'n')], rows)];
  });
}
