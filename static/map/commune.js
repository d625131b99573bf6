// map/commune.js: which commune a point is in, a commune's sheet (people and area without
// coverage, coverage, per carrier, its dead-zone pockets, fibre) and the list of the combined
// 4G × fibre view.
import { el, td, th, table, nodes } from '../dom.js';
import { getJSON } from '../api.js';
import { t, lang, nf, pct } from '../i18n.js';
import { st, carrier, fibreOperator, failed, flash, COMBINED_COLOURS, COMBINED_LABEL } from './state.js';
import { restyleCommunes } from './layers.js';
import { openSheet, closeSheet, showPanel, focus, kpi, dot, swatch, fine } from './sheet.js';
import { showSignal } from './signal.js';

function pointInRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
  }
  return inside;
}

// featureAt is the first of a collection's (Multi)Polygon features latlng lies in (even-odd
// over each polygon's rings), or null.
export function featureAt(fc, latlng) {
  for (const f of (fc && fc.features) || []) {
    const g = f.geometry, polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const poly of polys) {
      let inside = false;
      for (const ring of poly) { if (pointInRing(latlng.lng, latlng.lat, ring)) { inside = !inside; } }
      if (inside) { return f; }
    }
  }
  return null;
}

// communeAt is the commune feature latlng lies in, or null.
export const communeAt = (latlng) => featureAt(st.communes, latlng);

// showCommuneAt opens the sheet of the commune at latlng (a tap on the map).
export function showCommuneAt(latlng) {
  const f = communeAt(latlng);
  if (!f) { closeSheet(); flash(t('outside'), 1500); return; }
  showCommune(f.properties.code, latlng);
}

// showCommune outlines the commune and opens its sheet; with latlng (where it was tapped) the
// sheet offers the signal at that point.
export function showCommune(code, latlng) {
  st.selectedCode = code;
  restyleCommunes();
  getJSON('api/v1/communes/' + encodeURIComponent(code)).then((c) => {
    const draw = () => {
      const s = c.techs[st.tech], other = c.techs[st.tech === '4G' ? '3G' : '4G'];
      const title = lang() === 'en' && c.name_en && c.name_en !== c.name ? [c.name + ' ', el('small', null, '(' + c.name_en + ')')] : c.name;
      const pockets = el('div', { id: 'commune-pockets' });
      const body = [
        el('p', { class: 'sub' }, (c.type === 'ward' ? t('ward') : t('commune')) + ' · ' + c.code + ' · ' + st.tech),
        s && peopleWithout(s),
        s && coverageFigures(s),
        pockets,
        other && el('p', { class: 'facts' }, t('other_tech') + ' (' + (other.tech || (st.tech === '4G' ? '3G' : '4G')) + '): ' +
          pct(other.covered_area_pct) + ' ' + t('area').toLowerCase()),
        fibreFigures(c)
      ];
      if (latlng) {
        const b = el('button', { type: 'button', class: 'action', id: 'sig-here' }, t('signal_here'));
        b.addEventListener('click', () => showSignal(latlng));
        body.push(b);
      }
      openSheet(title, body, draw);
      if (latlng) { focus(latlng); }
      const tech = st.tech;
      import('./people.js').then((m) => m.communePockets(code, tech)).then((rows) => {
        if (rows && tech === st.tech) { pockets.replaceChildren(...nodes([rows])); }
      }).catch(failed);
    };
    draw();
  }).catch(failed);
}

// peopleWithout is what a commune's sheet shows first: the people without the current tech
// (from the population grid) beside the area without it.
function peopleWithout(s) {
  const uncoveredArea = s.area_km2 - s.covered_area_km2;
  return el('div', { class: 'kpis two' },
    kpi(nf(s.uncovered_population), t('people_without', { tech: st.tech }), s.uncovered_population > 0),
    kpi(nf(uncoveredArea, 1) + ' km²', t('area_without', { tech: st.tech }), uncoveredArea > 0));
}

// coverageFigures are a commune's coverage figures s for the current tech: shares, areas, and
// the table per carrier.
function coverageFigures(s) {
  const popPct = s.grid_population > 0 ? s.covered_population_pct : null;
  const hhPct = s.grid_households > 0 ? 100 * s.covered_households / s.grid_households : null;
  return [
    el('p', { class: 'kcap' }, t('share_covered') + ' ' + st.tech + ' (' + t('any_carrier').toLowerCase() + ')'),
    el('div', { class: 'kpis' },
      kpi(pct(s.covered_area_pct), t('area'), s.covered_area_pct < 70),
      kpi(pct(popPct), t('population'), popPct != null && popPct < 70),
      kpi(pct(hhPct), t('households'), hhPct != null && hhPct < 70)),
    el('p', { class: 'facts' },
      t('covered') + ': ' + nf(s.covered_area_km2, 1) + ' ' + t('of') + ' ' + nf(s.area_km2, 1) + ' km² · ' +
        nf(s.covered_population) + ' ' + t('of') + ' ' + nf(s.grid_population) + ' ' + t('pop_of'), el('br'),
      t('carriers_present') + ': ', el('b', null, nf(s.carriers_present)), areaSplit(s)),
    table([t('per_carrier'), th(t('area'), 'n'), th(t('population'), 'n')], (s.per_carrier || []).map((pc) => {
      const cc = carrier(pc.carrier);
      const pp = s.grid_population > 0 ? 100 * pc.covered_population / s.grid_population : null;
      return el('tr', null, td(null, dot(cc.colour), cc.name), td('n', pct(pc.covered_area_pct)), td('n', pct(pp)));
    }))
  ];
}

// areaSplit splits a commune's area by how many carriers cover it.
function areaSplit(s) {
  if (s.white_area_km2 == null) { return null; }
  return [el('br'), t('white') + ': ' + nf(s.white_area_km2, 1) + ' km² · ' + t('single') + ': ' + nf(s.single_carrier_area_km2, 1) +
    ' km² · ' + t('competitive') + ': ' + nf(s.competitive_area_km2, 1) + ' km²' +
    (s.three_g_only_area_km2 > 0 ? ' · ' + t('only3g') + ': ' + nf(s.three_g_only_area_km2, 1) + ' km²' : '')];
}

// fibreFigures are a commune's fibre figures: households in reach, operators, the table per
// operator.
function fibreFigures(c) {
  if (!c.fibre) { return null; }
  const ops = c.fibre_operators || [], per = c.fibre.per_operator || [];
  return [
    el('p', { class: 'kcap' }, t('l_fibre') + ' (' + t('drop') + ' ' + nf(c.fibre.drop_m) + ' m)'),
    el('div', { class: 'kpis' },
      kpi(pct(c.fibre_reach_pct), t('households'), c.fibre_reach_pct < 50),
      kpi(nf(c.fibre_households_in_reach), t('hh_in_reach'), false),
      kpi(nf(ops.length), t('operators'), !ops.length)),
    per.length > 0 && table([t('fibre_operator'), th(t('reach'), 'n'), th(t('households'), 'n')], per.map((o) => {
      const fo = fibreOperator(o.operator);
      return el('tr', null, td(null, dot(fo.colour), fo.name), td('n', pct(o.reach_pct)), td('n', nf(o.households_in_reach)));
    })),
    st.info.fibre_note && fine(t('fibre_demo'))
  ];
}

// showCombinedList lists the communes of the combined view, lacking both first; a row opens
// the commune.
export function showCombinedList() {
  if (!st.combined) { return; }
  showPanel(false);
  const draw = () => {
    const rows = st.combined.rows.map((r) => {
      const tr = el('tr', { class: 'pick', 'data-code': r.code },
        td(null, swatch(COMBINED_COLOURS[r.category], t(COMBINED_LABEL[r.category]))), td(null, r.name),
        td('n', pct(r.covered_4g_population_pct)), td('n', pct(r.fibre_reach_pct)));
      tr.addEventListener('click', () => showCommune(r.code));
      return tr;
    });
    openSheet(t('combined_title'), [
      el('p', { class: 'sub' }, t('fibre_4g_pop') + ' · ' + t('fibre_share').toLowerCase() + ' · ≥ ' + st.threshold + ' %'),
      table(['', t('commune'), th('4G', 'n'), th(t('l_fibre'), 'n')], rows)
    ], draw);
  };
  draw();
}
