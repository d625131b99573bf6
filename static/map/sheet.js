// map/sheet.js: the bottom sheet (a side panel on wide screens) that shows one commune, site,
// point or list at a time; the layers panel's visibility; and the figures, swatches and small
// print that the sheets and the legend share.
import { $, el, nodes, styled } from '../dom.js';
import { st, layers } from './state.js';
import { map, restyleCommunes } from './layers.js';

// openSheet shows title and body (elements, text or arrays of them) in the sheet; redraw, if
// given, draws it again after a change of language or technology.
export function openSheet(title, body, redraw) {
  $('sheet-title').replaceChildren(...nodes([title]));
  $('sheet-body').replaceChildren(...nodes([body]));
  $('sheet').hidden = false;
  $('sheet').scrollTop = 0;
  document.body.classList.add('sheet-open');
  st.selected = redraw || null;
  if (map) { map.invalidateSize(); }
}

// closeSheet hides the sheet and what it marked on the map.
export function closeSheet() {
  if (layers.mark) { layers.mark.remove(); layers.mark = null; }
  $('sheet').hidden = true;
  document.body.classList.remove('sheet-open');
  st.selected = null;
  if (map) { map.invalidateSize(); }
  if (st.selectedCode) { st.selectedCode = null; restyleCommunes(); }
  if (layers.here) { layers.here.remove(); layers.here = null; }
}

// showPanel opens or closes the layers panel.
export function showPanel(open) {
  $('layers').hidden = !open;
  $('layers-btn').setAttribute('aria-expanded', String(open));
}

// focus pans the map so latlng shows in the part of the map the sheet does not cover (on a
// phone the sheet lies over the lower half; on a wide screen the map shrinks beside it).
export function focus(latlng) {
  const mapRect = map.getContainer().getBoundingClientRect();
  const sheetRect = $('sheet').getBoundingClientRect();
  const visibleH = $('sheet').hidden || sheetRect.left > mapRect.left + 10 ? mapRect.height : Math.max(60, sheetRect.top - mapRect.top);
  const p = map.latLngToContainerPoint(latlng);
  const margin = Math.min(40, visibleH / 4);
  if (p.y < margin || p.y > visibleH - margin || p.x < 40 || p.x > mapRect.width - 40) {
    map.panBy([p.x - mapRect.width / 2, p.y - visibleH / 2], { animate: true });
  }
}

// kpi is one big figure with its label, in red when bad.
export const kpi = (value, label, bad) => el('div', { class: bad ? 'kpi bad' : 'kpi' }, el('b', null, value), el('span', null, label));

// dot is a round swatch of a carrier's or operator's colour.
export const dot = (colour) => styled(el('span', { class: 'dot' }), { background: colour });

// swatch is a square swatch of colour, with an optional title.
export const swatch = (colour, title) => styled(el('span', title ? { class: 'sw', title } : { class: 'sw' }), { background: colour });

// fine is a line of small print.
export const fine = (...text) => el('p', { class: 'fine' }, ...text);
