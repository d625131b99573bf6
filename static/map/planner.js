// map/planner.js: planner mode (imported on first use). With a planner or carrier token the map
// edits one what-if scenario (persisted by the server, /api/v1/scenarios): a tap adds a site of
// the chosen carrier, a drag moves it, and the sheet shows the scenario's deltas (people,
// households and area newly covered, white areas, pockets closed), re-evaluated after every
// change. Suggestions (/suggestions) come as numbered markers with the people each gains; the
// baseline/scenario toggle shows or hides the newly covered and lost areas. The token stays in
// sessionStorage only.
import { $, el, setOptions } from '../dom.js';
import { request } from '../api.js';
import { t, nf } from '../i18n.js';
import { st, layers, flash, failed } from './state.js';
import { map } from './layers.js';
import { openSheet, kpi, fine } from './sheet.js';

const SCENARIO_NAME = 'map';
const COVERED = '#1a9850', LOST = '#d73027';

// pl is planner mode's state.
export const pl = {
  token: '', who: null, scenario: null, edits: [], result: null, view: 'scenario', carrier: '',
  markers: [], suggestions: [], job: null, req: 0, busy: false,
  pending: 0, // requests in flight (the browser test waits for 0 before pressing a button)
  last: null // the last answer: {method, path, status, ms} (what the browser test reports when it fails)
};

// call sends a request with the token; it resolves to {status, body} and never rejects.
async function call(path, method = 'GET', body) {
  const headers = { Authorization: 'Bearer ' + pl.token };
  if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
  pl.pending++;
  const t0 = performance.now();
  try {
    const r = await request(path, { method, cache: 'no-store', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    pl.last = { method, path, status: r.status, ms: Math.round(performance.now() - t0) };
    return r;
  } finally {
    pl.pending--;
  }
}

// problem turns a failed answer into an Error with the server's message (422s list the edits).
function problem(r) {
  const b = r.body || {};
  const issues = (b.errors || []).slice(0, 3).map((i) => (i.field ? i.field + ': ' : '') + i.message).join('; ');
  return new Error((b.error || r.status + ' ' + r.statusText) + (issues ? ' — ' + issues : ''));
}

// start enters planner mode with token: checks it, finds or makes the map's scenario, redraws
// its sites and opens the sheet.
export async function start(token) {
  pl.token = token.trim();
  const who = await call('api/v1/token');
  if (who.status !== 200) { throw problem(who); }
  pl.who = who.body.token;
  if (!pl.who.planner && (pl.who.admin || !pl.who.carrier)) { throw new Error(t('plan_need_token')); }
  sessionStorage.setItem('phusong_token', pl.token);
  const list = await call('api/v1/scenarios');
  if (list.status !== 200) { throw problem(list); }
  pl.scenario = list.body.scenarios.find((s) => s.name === SCENARIO_NAME);
  if (!pl.scenario) {
    const made = await call('api/v1/scenarios', 'POST', { name: SCENARIO_NAME });
    if (made.status !== 201) { throw problem(made); }
    pl.scenario = made.body;
  }
  pl.edits = pl.scenario.edits || [];
  pl.carrier = pl.who.carrier || (st.carrier !== 'any' ? st.carrier : st.info.carriers.find((c) => c.sites > 0).id);
  st.planning = addAt;
  document.body.classList.add('planning');
  drawEdits();
  showSheet();
  return evaluate();
}

// stop leaves planner mode (the scenario stays on the server).
export function stop() {
  st.planning = null;
  document.body.classList.remove('planning');
  pl.markers.concat(pl.suggestions).forEach((m) => m.remove());
  pl.markers = []; pl.suggestions = [];
  if (layers.changes) { layers.changes.remove(); layers.changes = null; }
}

// addAt adds a site of the chosen carrier at latlng.
function addAt(latlng) {
  const n = pl.edits.filter((e) => e.op === 'add' && /^MAP-\d+$/.test(e.site_id)).length + 1;
  let id = 'MAP-' + n;
  for (let k = n; pl.edits.some((e) => e.site_id === id); k++) { id = 'MAP-' + (k + 1); }
  pl.edits = pl.edits.concat([{ op: 'add', carrier: pl.carrier, site_id: id, lon: +latlng.lng.toFixed(6), lat: +latlng.lat.toFixed(6), tech: st.tech }]);
  return save();
}

// save stores the edit list (all-or-nothing: a refused edit is taken back) and re-evaluates.
async function save() {
  const r = await call('api/v1/scenarios/' + pl.scenario.id, 'PATCH', { edits: pl.edits });
  if (r.status !== 200) {
    pl.edits = pl.scenario.edits;
    drawEdits();
    failed(problem(r));
    return;
  }
  pl.scenario = r.body;
  pl.edits = r.body.edits;
  drawEdits();
  return evaluate();
}

// drawEdits draws a draggable marker per added, moved or co-located site of the scenario.
function drawEdits() {
  pl.markers.forEach((m) => m.remove());
  pl.markers = pl.edits.filter((e) => e.lon != null && e.lat != null).map((e) => {
    const m = L.marker([e.lat, e.lon], { draggable: true, title: e.carrier + ' ' + e.site_id, keyboard: true,
      icon: L.divIcon({ className: 'plan-site', html: el('span', null, '+'), iconSize: [22, 22] }) }).addTo(map);
    m.on('dragend', () => {
      const p = m.getLatLng();
      pl.edits = pl.edits.map((x) => (x === e ? { ...x, lon: +p.lng.toFixed(6), lat: +p.lat.toFixed(6) } : x));
      save().catch(failed);
    });
    return m;
  });
}

// evaluate asks for the scenario's deltas (and, in the scenario view, its changed areas).
export async function evaluate() {
  const req = ++pl.req;
  pl.busy = true;
  const r = await call('api/v1/scenarios/' + pl.scenario.id + '/result');
  if (req !== pl.req) { return; }
  pl.busy = false;
  if (r.status !== 200) { failed(problem(r)); return; }
  pl.result = r.body;
  await drawChanges();
  showSheet();
}

// drawChanges draws the newly covered and lost areas of the technology shown (scenario view).
async function drawChanges() {
  if (layers.changes) { layers.changes.remove(); layers.changes = null; }
  if (pl.view !== 'scenario' || !pl.edits.length) { return; }
  const r = await call('api/v1/scenarios/' + pl.scenario.id + '/changes?tech=' + st.tech);
  if (r.status !== 200) { failed(problem(r)); return; }
  layers.changes = L.geoJSON(r.body, {
    interactive: false,
    style: (f) => ({ color: f.properties.change === 'covered' ? COVERED : LOST, weight: 1, fillOpacity: 0.45 })
  }).addTo(map);
}

// suggest runs a suggestion of 5 sites for the chosen carrier and shows its progress.
async function suggest() {
  const r = await call('api/v1/scenarios/' + pl.scenario.id + '/suggestions', 'POST', { carrier: pl.carrier, tech: st.tech, count: 5 });
  if (r.status !== 202) { failed(problem(r)); return; }
  pl.job = r.body;
  showSheet();
  while (pl.job && pl.job.status === 'running') {
    await new Promise((ok) => setTimeout(ok, 400));
    const p = await call('api/v1/scenarios/' + pl.scenario.id + '/suggestions/' + pl.job.id);
    if (p.status !== 200) { failed(problem(p)); return; }
    pl.job = p.body;
    showSheet();
  }
  drawSuggestions();
  showSheet();
}

// drawSuggestions draws the picks as numbered markers with the people each gains.
function drawSuggestions() {
  pl.suggestions.forEach((m) => m.remove());
  const picks = (pl.job && pl.job.result && pl.job.result.picks) || [];
  pl.suggestions = picks.map((p) => L.marker([p.lat, p.lon], {
    title: '#' + p.rank, keyboard: false,
    icon: L.divIcon({ className: 'plan-sugg', html: el('span', null, el('b', null, String(p.rank)), ' +' + nf(p.people_gained)), iconSize: null })
  }).addTo(map));
}

// adopt adds the suggested sites to the scenario as edits.
function adopt() {
  const picks = (pl.job && pl.job.result && pl.job.result.picks) || [];
  const base = pl.edits.length;
  pl.edits = pl.edits.concat(picks.map((p, i) => ({ op: 'add', carrier: pl.carrier, site_id: 'SUG-' + (base + i + 1), lon: +p.lon.toFixed(6), lat: +p.lat.toFixed(6), tech: st.tech, height_m: p.height_m })));
  pl.suggestions.forEach((m) => m.remove());
  pl.suggestions = [];
  pl.job = null;
  return save();
}

// showSheet draws the planner's sheet: carrier, view toggle, deltas, suggestions.
export function showSheet() {
  const td = pl.result && pl.result.province.find((x) => x.tech === st.tech);
  const d = td && td.delta;
  const carrierSel = el('select', { id: 'plan-carrier' });
  setOptions(carrierSel, st.info.carriers.filter((c) => !pl.who.carrier || c.id === pl.who.carrier).map((c) => [c.id, c.name]), pl.carrier);
  carrierSel.addEventListener('change', (e) => { pl.carrier = e.target.value; });
  const views = el('div', { class: 'seg small', id: 'plan-view', role: 'group' },
    [['baseline', t('plan_baseline')], ['scenario', t('plan_scenario')]].map(([v, label]) => {
      const b = el('button', { type: 'button', 'data-view': v, 'aria-pressed': String(pl.view === v) }, label);
      b.addEventListener('click', () => { pl.view = v; drawChanges().then(showSheet).catch(failed); });
      return b;
    }));
  const sugBtn = el('button', { type: 'button', class: 'btn', id: 'plan-suggest' }, t('plan_suggest'));
  sugBtn.addEventListener('click', () => { suggest().catch(failed); });
  const running = pl.job && pl.job.status === 'running';
  const picks = (pl.job && pl.job.result && pl.job.result.picks) || [];
  const adoptBtn = picks.length > 0 && el('button', { type: 'button', class: 'btn', id: 'plan-adopt' }, t('plan_adopt'));
  if (adoptBtn) { adoptBtn.addEventListener('click', () => { adopt().catch(failed); }); }
  const clearBtn = pl.edits.length > 0 && el('button', { type: 'button', class: 'link', id: 'plan-clear' }, t('plan_clear'));
  if (clearBtn) { clearBtn.addEventListener('click', () => { pl.edits = []; save().catch(failed); }); }
  const communes = pl.result ? pl.result.communes.filter((c) => c.tech === st.tech && c.delta.covered_population !== 0)
    .sort((a, b) => b.delta.covered_population - a.delta.covered_population).slice(0, 8) : [];
  openSheet(t('plan_title'), [
    el('label', { class: 'row' }, el('span', null, t('carrier')), carrierSel),
    fine(t('plan_hint')),
    views,
    // data-edits: how many edits the figures shown were computed with.
    el('div', { class: 'kpis', id: 'plan-deltas', 'data-edits': String(pl.result ? pl.result.scenario.edits.length : -1) },
      kpi(d ? signed(d.covered_population) : '…', t('plan_people', { tech: st.tech })),
      kpi(d ? signed(d.covered_households) : '…', t('plan_households')),
      kpi(d ? signed(d.covered_area_km2, 2) : '…', t('plan_area')),
      kpi(d ? signed(d.white_area_km2, 2) : '…', t('plan_white')),
      kpi(td ? nf(td.pockets_closed) + ' / ' + nf(td.pockets) : '…', t('plan_pockets'))),
    communes.length > 0 && el('ul', { class: 'plan-communes' }, communes.map((c) => el('li', null, c.name + ': ' + signed(c.delta.covered_population)))),
    el('p', null, sugBtn, ' ', adoptBtn, ' ', clearBtn),
    running && el('progress', { id: 'plan-progress', max: String(pl.job.total || 1), value: String(pl.job.done) }),
    picks.length > 0 && el('ol', { id: 'plan-picks' }, picks.map((p) => el('li', null,
      t('plan_pick', { people: nf(p.people_gained), commune: p.commune_name || '—', fibre: p.fibre_distance_m < 0 ? '—' : nf(p.fibre_distance_m) })))),
    st.info.demo && fine(t('plan_synthetic'))
  ], showSheet);
}

// signed formats a change with its sign.
function signed(x, digits) {
  const s = digits ? x.toFixed(digits) : nf(x);
  return x > 0 ? '+' + s : s;
}

// flashError shows a message (exported for app.js's token form).
export const flashError = (e) => flash(e.message, 5000);
