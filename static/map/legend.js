// map/legend.js: the full legend in the layers panel and the always-visible mini legend.
import { $, el, nodes, styled } from '../dom.js';
import { t, nf } from '../i18n.js';
import {
  st, carrier, fibreOperator, coverageColour, techInfo, CHORO_BREAKS, CHORO_COLOURS, TIER_COLOURS,
  FIBRE_BREAKS, FIBRE_COLOURS, REACH_COLOUR, KIND_STYLE, COMBINED_COLOURS, COMBINED_LABEL, ROAD_COLOUR, WATER_COLOUR, WATER_FILL,
  BELOW_TIERS_COLOUR, RESIDUAL_BREAKS, RESIDUAL_COLOURS, DISPUTE_COLOUR, calibrationText, POCKET_COLOUR
} from './state.js';
import { dot, swatch, fine } from './sheet.js';
import { showCombinedList } from './commune.js';

const title = (text) => el('div', { class: 'lg-title' }, text);
const row = (...children) => el('div', { class: 'lg-row' }, ...children);

// rampRows are a ramp's classes: a swatch and "lo–hi %" each, "≥ lo %" for the last.
function rampRows(breaks, colours) {
  return colours.map((c, i) => {
    const lo = i === 0 ? 0 : breaks[i - 1], hi = breaks[i];
    return row(swatch(c), hi == null ? '≥ ' + lo + ' %' : lo + '–' + hi + ' %');
  });
}

// renderLegend draws the legend of every layer shown, and the mini legend.
export function renderLegend() {
  const box = $('legend');
  if (!st.info) { box.replaceChildren(); return; }
  const out = [];
  const communes = $('l-communes').checked;
  if (communes && (st.choro === 'fibre' || st.choro === 'combined')) {
    out.push(fibreChoroLegend());
  } else if (communes) {
    out.push(title(uncoveredTitle() + ' (' + st.tech + ')'), rampRows(CHORO_BREAKS, CHORO_COLOURS));
  }
  const ti = techInfo();
  if (st.cov === 'area') {
    out.push(title(t('l_coverage')), row(styled(swatch(coverageColour()), { opacity: '.6' }),
      ti.metric + ' ≥ ' + (ti.threshold_dbm ?? '') + ' dBm (' + (st.carrier === 'any' ? t('any_carrier') : carrier(st.carrier).name) + ')'));
  } else if (st.cov === 'tiers') {
    out.push(title(t('l_coverage') + ' · ' + ti.metric), ti.tiers_dbm.map((d, i) => row(swatch(TIER_COLOURS[i]), '≥ ' + d + ' dBm')));
  }
  if ($('l-gaps').checked) {
    out.push(row(el('span', { class: 'sw gap' }), t('gaps')));
  }
  out.push(peopleLegend());
  if ($('l-sites').checked) {
    out.push(title(t('l_sites')), st.info.carriers.filter((c) => c.sites > 0).map((c) => row(dot(c.colour), c.name)),
      st.siteMode === 'clusters' && row(el('span', { class: 'cluster-sw' }, '12'), t('site_cluster')));
  }
  if (st.context && $('l-context').checked) {
    out.push(title(t('l_context')), row(styled(el('span', { class: 'ln' }), { background: ROAD_COLOUR, height: '3px' }), t('ctx_road')),
      row(styled(swatch(WATER_FILL), { borderColor: WATER_COLOUR }), t('ctx_water')));
  }
  out.push(fibreLayersLegend(), measureLegend());
  box.replaceChildren(...nodes(out));
  renderMiniLegend();
  $('defver').textContent = t('definition') + ': ' + (st.info.definition_version || '') + ' (' + calibrationText(st.info.calibration) + ')';
  $('calib').textContent = t('calibration') + ': ' + calibrationText(st.info.calibration);
}

// measureLegend is the legend of the measurements and of the disputed places, when shown.
function measureLegend() {
  const out = [];
  if ($('l-measure').checked && st.measureMode === 'residual') {
    out.push(title(t('residual') + ' (dB)'), RESIDUAL_COLOURS.map((c, i) => {
      const lo = RESIDUAL_BREAKS[i - 1], hi = RESIDUAL_BREAKS[i];
      return row(swatch(c), lo == null ? '< ' + hi + ' · ' + t('worse') : hi == null ? '≥ ' + lo + ' · ' + t('better') : lo + ' … ' + hi);
    }));
  } else if ($('l-measure').checked) {
    const ti = techInfo();
    out.push(title(t('measured_level') + ' · ' + ti.metric), ti.tiers_dbm.map((d, i) => row(swatch(TIER_COLOURS[i]), '≥ ' + d + ' dBm')),
      row(swatch(BELOW_TIERS_COLOUR), '< ' + ti.tiers_dbm[ti.tiers_dbm.length - 1] + ' dBm'));
  }
  if ($('l-disputes').checked) {
    out.push(row(styled(el('span', { class: 'sw dispute' }), { borderColor: DISPUTE_COLOUR }), t('l_disputes')));
  }
  return out;
}

// peopleLegend is the legend of the density image (its classes, people per km²) and of the
// pockets, when shown.
function peopleLegend() {
  const out = [];
  const img = st.population && st.population.image;
  if ($('l-density').checked && img) {
    out.push(title(t('l_density') + ' (' + t('density_unit') + ')'), img.colours.map((c, i) => {
      const lo = img.breaks_per_km2[i], hi = img.breaks_per_km2[i + 1];
      return row(swatch(c), hi == null ? '≥ ' + nf(lo) : nf(lo) + '–' + nf(hi));
    }), fine(t('density_empty', { n: nf(img.breaks_per_km2[0]) })));
  }
  if ($('l-pockets').checked) {
    out.push(row(styled(swatch(POCKET_COLOUR), { opacity: '.7' }), t('l_pockets') + ' (' + st.tech + ')'), fine(t('pockets_legend')));
  }
  if (out.length && st.info.population_note) { out.push(fine(t('population_demo'))); }
  return out;
}

const uncoveredTitle = () => (st.choro === 'population' ? t('uncovered_pop') : t('uncovered_area'));

// fibreChoroLegend is the legend of the communes coloured by fibre reach or by the combined view.
function fibreChoroLegend() {
  if (st.choro === 'fibre') {
    return [title(t('fibre_share')), rampRows(FIBRE_BREAKS, FIBRE_COLOURS)];
  }
  const list = el('button', { type: 'button', class: 'action', id: 'combined-list' }, t('list_lacking'));
  list.addEventListener('click', showCombinedList);
  return [
    title(t('combined_title') + ' (≥ ' + st.threshold + ' %)'), bivariateGrid(true),
    fine(t('fibre_4g_pop') + ' · ' + t('fibre_share').toLowerCase()), list
  ];
}

// fibreLayersLegend is the legend of the fibre reach and routes, when shown.
function fibreLayersLegend() {
  const reach = $('l-fibre-reach').checked, routes = $('l-fibre-routes').checked;
  if (!reach && !routes && st.choro !== 'fibre' && st.choro !== 'combined') { return null; }
  return [
    (reach || routes) && title(t('l_fibre') + ' · ' + (st.fibreOp === 'any' ? t('any_operator') : fibreOperator(st.fibreOp).name)),
    reach && row(styled(swatch(REACH_COLOUR), { opacity: '.5' }), t('l_fibre_reach') + ' (' + t('drop') + ' ' + nf(st.info.fibre_drop_m) + ' m)'),
    routes && ['backbone', 'feeder', 'distribution'].map((k) =>
      row(styled(el('span', { class: 'ln' }), { background: KIND_STYLE[k].color, height: Math.round(KIND_STYLE[k].weight) + 'px' }), t(k))),
    routes && row(el('span', { class: 'dot ap' }), t('access_point')),
    st.info.fibre_note && fine(t('fibre_demo'))
  ];
}

// bivariateGrid is the 2×2 legend: fibre up, 4G right; full adds the names and counts, else
// the axes follow the grid on one line (the mini legend).
function bivariateGrid(full) {
  const cell = (cat) => [
    styled(el('span', { class: 'bv-cell', title: t(COMBINED_LABEL[cat]) }), { background: COMBINED_COLOURS[cat] }),
    full && el('span', { class: 'bv-lab' }, t(COMBINED_LABEL[cat]) + (st.combined ? ' ' : ''), st.combined && el('b', null, nf(st.combined.counts[cat] || 0)))
  ];
  const grid = el('div', { class: 'bv-grid' }, cell('fibre_only'), cell('both'), cell('neither'), cell('4g_only'));
  if (!full) { return el('div', { class: 'bv mini' }, grid, el('span', null, '↑ ' + t('l_fibre'), el('br'), '→ 4G')); }
  return el('div', { class: 'bv full' }, el('span', { class: 'bv-y' }, t('l_fibre') + ' ↑'), grid, el('span', { class: 'bv-x' }, '4G →'));
}

// miniRamp is a ramp of colours with its ends, under a label.
function miniRamp(label, colours, breaks) {
  return [
    el('div', null, label),
    el('div', { class: 'ramp' }, colours.map((c) => styled(el('span'), { background: c }))),
    el('div', { class: 'ends' }, el('span', null, '0 %'), el('span', null, '≥ ' + breaks[breaks.length - 1] + ' %'))
  ];
}

// cov is one line of the mini legend: colour chips, then text.
const cov = (chips, text) => el('div', { class: 'cov' }, chips, text);
const chip = (colour, opacity) => styled(el('i'), opacity ? { background: colour, opacity } : { background: colour });

// renderMiniLegend draws the always-visible legend: the choropleth ramp and the coverage colour;
// a tap opens the full legend in the layers panel.
export function renderMiniLegend() {
  const box = $('mini-legend'), out = [];
  const communes = $('l-communes').checked;
  if (communes && st.choro === 'fibre') {
    out.push(miniRamp(t('fibre_share'), FIBRE_COLOURS, FIBRE_BREAKS));
  } else if (communes && st.choro === 'combined') {
    out.push(el('div', null, t('combined_title') + ' ≥ ' + st.threshold + ' %'), bivariateGrid(false));
  } else if (communes) {
    out.push(miniRamp(uncoveredTitle(), CHORO_COLOURS, CHORO_BREAKS));
  }
  if (st.cov === 'area') {
    out.push(cov(chip(coverageColour(), '.55'), t('covered') + ' ' + st.tech));
  } else if (st.cov === 'tiers') {
    out.push(cov(TIER_COLOURS.slice(0, techInfo().tiers_dbm.length).map((c) => chip(c)), t('cov_tiers')));
  }
  if ($('l-fibre-reach').checked) {
    out.push(cov(chip(REACH_COLOUR, '.5'), t('l_fibre') + ' ≤ ' + nf(st.info.fibre_drop_m) + ' m'));
  }
  const img = st.population && st.population.image;
  if ($('l-density').checked && img) {
    out.push(cov(img.colours.map((c) => chip(c)), t('l_density')));
  }
  if ($('l-pockets').checked) {
    out.push(cov(chip(POCKET_COLOUR, '.7'), t('l_pockets')));
  }
  box.replaceChildren(...nodes(out));
  box.hidden = out.length === 0;
}
