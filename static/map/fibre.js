// map/fibre.js: the fibre layers and the combined 4G × fibre view. Like their data, this module
// loads on demand, never on first paint: the reach polygons per zoom step, the routes (trunks
// below zoom 11, the whole network from 11, access points from 12), the combined view when that
// colouring is chosen. Each layer sits in its own canvas pane above coverage and below the sites.
import { $ } from '../dom.js';
import { getJSON } from '../api.js';
import { st, layers, failed, REACH_COLOUR, KIND_STYLE } from './state.js';
import { map, covZoom, restyleCommunes } from './layers.js';
import { renderLegend } from './legend.js';

// The module is imported on first use (app.js), when the map exists: from then on the fibre
// layers have their panes and follow the zoom.
const renderers = {};
[['fibreReach', 410], ['fibreRoutes', 420]].forEach(([name, z]) => {
  map.createPane(name + 'Pane').style.zIndex = z;
  renderers[name] = L.canvas({ pane: name + 'Pane', padding: 0.3, tolerance: 4 });
});
map.on('zoomend', loadFibre);

// loadFibre draws (or removes) the fibre reach and routes as their boxes say.
export function loadFibre() { loadFibreReach(); loadFibreRoutes(); }

// loadFibreReach draws the reach of the chosen operator(s) when its box is ticked.
export function loadFibreReach() {
  if (!$('l-fibre-reach').checked) {
    if (layers.fibreReach) { layers.fibreReach.remove(); layers.fibreReach = null; }
    st.reachKey = '';
    return;
  }
  const key = st.fibreOp + '|' + covZoom();
  if (key === st.reachKey) { return; }
  st.reachKey = key;
  const req = ++st.reachReq;
  getJSON('api/v1/fibre/reach?operator=' + encodeURIComponent(st.fibreOp) + '&zoom=' + covZoom()).then((fc) => {
    if (req !== st.reachReq) { return; }
    if (layers.fibreReach) { layers.fibreReach.remove(); }
    layers.fibreReach = L.geoJSON(fc, { style: { renderer: renderers.fibreReach, weight: 1, color: REACH_COLOUR, opacity: 0.8, fillColor: REACH_COLOUR, fillOpacity: 0.28, interactive: false } }).addTo(map);
  }).catch((e) => { st.reachKey = ''; failed(e); });
}

// loadFibreRoutes draws the routes of the chosen operator(s) when their box is ticked.
export function loadFibreRoutes() {
  if (!$('l-fibre-routes').checked) {
    if (layers.fibreRoutes) { layers.fibreRoutes.remove(); layers.fibreRoutes = null; }
    st.fibreKey = '';
    return;
  }
  const z = map.getZoom(), kinds = z >= 11 ? '' : 'backbone,feeder', aps = z >= 12;
  const key = [st.fibreOp, kinds, aps].join('|');
  if (key === st.fibreKey) { return; }
  st.fibreKey = key;
  const req = ++st.fibreReq;
  getJSON('api/v1/fibre?operator=' + encodeURIComponent(st.fibreOp) + (kinds ? '&kind=' + kinds : '')).then((fc) => {
    if (req !== st.fibreReq) { return; }
    const group = L.layerGroup(), r = renderers.fibreRoutes;
    // Distribution first, trunks on top, access points last.
    ['distribution', 'feeder', 'backbone'].forEach((kind) => {
      const ks = KIND_STYLE[kind];
      L.geoJSON(fc, {
        filter: (f) => f.properties.kind === kind,
        style: { renderer: r, color: ks.color, weight: ks.weight, opacity: 0.9, lineCap: 'round', interactive: false }
      }).addTo(group);
    });
    if (aps) {
      L.geoJSON(fc, {
        filter: (f) => f.properties.kind === 'access_point',
        pointToLayer: (f, ll) => L.circleMarker(ll, { renderer: r, radius: 3.5, color: '#2d004b', weight: 1.5, fillColor: '#fff', fillOpacity: 1, interactive: false })
      }).addTo(group);
    }
    if (layers.fibreRoutes) { layers.fibreRoutes.remove(); }
    layers.fibreRoutes = group.addTo(map);
  }).catch((e) => { st.fibreKey = ''; failed(e); });
}

// loadCombined fetches the combined view at the chosen threshold (once per threshold) and
// recolours the communes.
export function loadCombined() {
  const th = st.threshold;
  if (st.combined && st.combined.threshold === th) { restyleCommunes(); renderLegend(); return; }
  getJSON('api/v1/combined?threshold_pct=' + th).then((c) => {
    if (th !== st.threshold) { return; }
    const cats = {};
    c.communes.forEach((r) => { cats[r.code] = r.category; });
    st.combined = { threshold: th, cats, counts: c.counts, rows: c.communes };
    restyleCommunes();
    renderLegend();
  }).catch(failed);
}
