/* phusong carrier upload page, the entry module of upload.html: token → file → dry run
   (validation and coverage impact) → apply. The token is kept in sessionStorage only (gone when
   the tab closes) and sent as a bearer token; every server string is inserted as text, never as
   HTML. body[data-state] tells tests where the page is: idle, checking, checked, invalid,
   applying, applied, error. Shares i18n.js, strings.js, api.js and dom.js with the map. */
import { $, el, table, tableParts, th } from './dom.js';
import { request, getJSON } from './api.js';
import { t, nf, locale, translate, onLangButton } from './i18n.js';

const st = { token: '', who: null, checked: null, carriers: null };

function setState(s) { document.body.dataset.state = s; }

// scrollTable is a table that scrolls sideways on a narrow screen; a head cell {label, num}.
function scrollTable(head, rows) {
  return el('div', { class: 'scroll' }, table(head.map((h) => th(h.label, h.num ? 'num' : null)), rows));
}

function applyLang() {
  translate();
  document.title = t('upload_title') + ' · phusong';
  if (st.who) { showWho(); }
}

// ---- API ----------------------------------------------------------------------------
// call sends a request with the token; it resolves to {status, body} and never rejects (a
// network failure is status 0 with the "network" message as the error).
function call(method, path, opts = {}) {
  return request(path, { method, cache: 'no-store', headers: { Authorization: 'Bearer ' + st.token, ...opts.headers }, body: opts.body })
    .then((r) => (r.status ? r : { status: 0, body: { error: t('network') } }));
}

// ---- token --------------------------------------------------------------------------
function carrierName(id) { return (st.carriers && st.carriers[id]) || id; }

function showWho() {
  const w = $('who'), tok = st.who;
  w.hidden = false;
  w.className = 'status ' + (tok.admin ? 'bad' : 'ok');
  w.textContent = tok.admin ? t('token_admin', { p: 'phs_' + tok.id }) : t('token_ok', { p: 'phs_' + tok.id, c: carrierName(tok.carrier) });
}

function useToken(tok) {
  st.token = tok.trim();
  st.who = null;
  const w = $('who');
  w.hidden = false; w.className = 'status'; w.textContent = t('token_checking');
  return call('GET', 'api/v1/token').then((r) => {
    if (r.status !== 200) {
      w.className = 'status bad';
      w.textContent = r.status === 401 ? t('token_bad') : t('failed', { s: r.status, m: (r.body && r.body.error) || '' });
      try { sessionStorage.removeItem('phusong.token'); } catch { /* storage off */ }
      updateButtons();
      return;
    }
    st.who = r.body.token;
    try { sessionStorage.setItem('phusong.token', st.token); } catch { /* storage off */ }
    $('token').value = '';
    $('token-forget').hidden = false;
    showWho();
    updateButtons();
    loadHistory();
    import('./review.js').then((m) => m.showQueue(call, st.who, st.carriers)).catch(() => { /* the queue is optional */ });
  });
}

function forgetToken() {
  try { sessionStorage.removeItem('phusong.token'); } catch { /* storage off */ }
  st.token = ''; st.who = null; st.checked = null;
  $('who').hidden = true; $('token-forget').hidden = true; $('history').hidden = true; $('result').hidden = true; $('review').hidden = true;
  updateButtons();
}

// ---- upload -------------------------------------------------------------------------
function mode() { return document.querySelector('input[name=mode]:checked').value; }
function canUpload() { return !!(st.who && !st.who.admin && $('file').files.length); }
function updateButtons() { $('check').disabled = !canUpload(); }
function uploadKey() { const f = $('file').files[0]; return f ? [f.name, f.size, f.lastModified, mode(), st.who && st.who.id].join('|') : ''; }

// fileBody returns the request headers and body for the chosen file: type by extension,
// .gz sent as gzip-encoded, other files over 256 KB compressed here when the browser can.
function fileBody() {
  const f = $('file').files[0];
  const name = f.name.toLowerCase(), gz = /\.gz$/.test(name);
  const base = name.replace(/\.gz$/, '');
  const headers = { 'Content-Type': /\.(geojson|json)$/.test(base) ? 'application/geo+json' : 'text/csv' };
  if (gz) { headers['Content-Encoding'] = 'gzip'; return Promise.resolve({ headers, body: f }); }
  if (f.size > 256 * 1024 && window.CompressionStream && f.stream) {
    return new Response(f.stream().pipeThrough(new CompressionStream('gzip'))).blob().then((b) => {
      headers['Content-Encoding'] = 'gzip';
      return { headers, body: b };
    });
  }
  return Promise.resolve({ headers, body: f });
}

function send(dry) {
  const key = uploadKey();
  setState(dry ? 'checking' : 'applying');
  $('check').disabled = true; $('apply').disabled = true;
  showResult(dry ? t('checking') : t('applying'), null);
  return fileBody().then((fb) => {
    const path = 'api/v1/carriers/' + encodeURIComponent(st.who.carrier) + '/sites?mode=' + mode() + '&dry_run=' + (dry ? 'true' : 'false');
    return call('POST', path, { headers: fb.headers, body: fb.body });
  }).then((r) => {
    $('apply').disabled = false;
    updateButtons();
    if (r.status === 200) {
      st.checked = dry ? key : null;
      renderReport(r.body, dry);
      setState(dry ? 'checked' : 'applied');
      loadHistory();
    } else {
      st.checked = null;
      renderError(r);
      setState(r.status === 422 ? 'invalid' : 'error');
    }
  });
}

function showResult(title, body) {
  $('result').hidden = false;
  $('result-title').textContent = title;
  $('result-body').replaceChildren(...(body ? [body] : []));
  $('apply-row').hidden = true;
}

function renderError(r) {
  const b = r.body || {}, frag = document.createDocumentFragment();
  if (r.status === 422 && b.errors && b.errors.length) {
    frag.append(el('p', { class: 'status bad' }, t('errors_n', { n: b.errors.length })));
    frag.append(scrollTable([{ label: t('where') }, { label: t('field') }, { label: t('value') }, { label: t('message') }],
      b.errors.map((e) => {
        const where = e.line ? t('line') + ' ' + e.line : e.feature ? t('feature') + ' ' + e.feature : '';
        return el('tr', null, el('td', null, where), el('td', null, e.field || ''), el('td', null, e.value || ''), el('td', null, e.message));
      })));
  } else {
    frag.append(el('p', { class: 'status bad' }, t('failed', { s: r.status || '', m: b.error || '' })));
  }
  showResult(r.status === 422 ? t('invalid_t') : t('error_t'), frag);
}

// fromTo renders "before → after" with the change coloured.
function fromTo(before, after, digits, unit) {
  const cls = after > before ? 'up' : after < before ? 'down' : '';
  return el('td', { class: 'num' }, nf(before, digits) + ' → ', el('span', cls ? { class: cls } : null, nf(after, digits)), unit || '');
}

function impactRows(rows, withName) {
  return rows.map((x) => el('tr', null,
    withName && el('td', null, x.name),
    el('td', null, x.tech),
    fromTo(x.before.covered_area_pct, x.after.covered_area_pct, 1, ' %'),
    fromTo(x.before.covered_population, x.after.covered_population, 0),
    fromTo(x.carrier_before.covered_area_pct, x.carrier_after.covered_area_pct, 1, ' %'),
    fromTo(x.carrier_before.covered_population, x.carrier_after.covered_population, 0)));
}

function renderReport(rep, dry) {
  const u = rep.upload, frag = document.createDocumentFragment(), c = carrierName(u.carrier);
  frag.append(el('p', { class: 'status ' + (dry ? '' : 'ok') }, dry ? t('preview_msg') : t('applied_msg', { id: u.id })));
  const kpi = (n, label) => el('div', { class: 'kpi' }, el('b', null, nf(n)), el('span', null, label));
  frag.append(el('div', { class: 'kpis' }, kpi(u.added, t('added')), kpi(u.modified, t('changed')), kpi(u.removed, t('removed')), kpi(u.total, t('total'))));
  if (u.warnings && u.warnings.length) {
    const items = u.warnings.slice(0, 200).map((w) => {
      const where = w.line ? t('line') + ' ' + w.line + ': ' : w.feature ? t('feature') + ' ' + w.feature + ': ' : '';
      return el('li', null, where + (w.field ? w.field + ': ' : '') + w.message);
    });
    frag.append(el('details', { class: 'note' }, el('summary', null, t('warnings', { n: u.warnings.length })), el('ul', null, items)));
  }
  const imp = rep.impact;
  if (imp) {
    const head = [{ label: t('tech') }, { label: t('area_any'), num: true }, { label: t('pop_any'), num: true },
      { label: t('area_mine', { c }), num: true }, { label: t('pop_mine', { c }), num: true }];
    frag.append(el('h3', null, t('impact_prov')));
    frag.append(scrollTable(head, impactRows(imp.province, false)));
    const pk = imp.province.filter((x) => x.pockets_before && x.pockets_after);
    if (pk.length) { // the dead-zone pockets where people live (50 or more), before → after
      frag.append(el('h3', null, t('impact_pockets')));
      frag.append(scrollTable([{ label: t('tech') }, { label: t('pockets_n'), num: true }, { label: t('pockets_people'), num: true }],
        pk.map((x) => el('tr', null, el('td', null, x.tech), fromTo(x.pockets_before.pockets, x.pockets_after.pockets, 0),
          fromTo(x.pockets_before.people, x.pockets_after.people, 0)))));
    }
    const change = (x) => Math.abs(x.carrier_after.covered_population - x.carrier_before.covered_population);
    const cs = imp.communes.slice().sort((a, b) => change(b) - change(a));
    frag.append(el('h3', null, t('impact_communes', { n: cs.length })));
    frag.append(cs.length ? el('div', { id: 'impact-communes' }, scrollTable([{ label: t('commune_ward') }].concat(head), impactRows(cs, true)))
      : el('p', { class: 'fine' }, t('no_commune')));
  }
  showResult(dry ? t('preview_t') : t('applied_t'), frag);
  $('apply-row').hidden = !dry;
}

// ---- history, restore and undo -------------------------------------------------------
// Restore (POST …/rollback) makes a list what it was right after an upload; undo (POST …/undo)
// what it was right before the latest one. Both are recorded as new uploads: nothing is lost.

// undoOf is the upload an undo undid, from its note ("undo of upload 12"), else null.
function undoOf(u) {
  const m = /^undo of upload (\d+)$/.exec(u.note || '');
  return m ? +m[1] : null;
}

// modeText says what an upload was: its mode, what a rollback restored, what an undo undid.
function modeText(u) {
  let s = u.mode;
  if (u.mode === 'rollback') { s = undoOf(u) ? t('mode_undo', { id: undoOf(u) }) : t('mode_restore', { id: u.rollback_to }); }
  if (u.dry_run) { s += ' (' + t('dry') + ')'; }
  if (st.who.admin) { s += ' · ' + u.carrier; }
  return s;
}

function loadHistory() {
  if (!st.who) { return; }
  call('GET', 'api/v1/uploads?limit=10').then((r) => {
    if (r.status !== 200) { return; }
    const latest = new Set(); // kind|carrier whose latest applied upload is listed already
    const rows = r.body.uploads.map((u) => {
      const when = new Date(u.created_at).toLocaleString(locale());
      const act = el('td');
      if (!u.dry_run) {
        // The latest list of its kind and carrier can be undone; an older one restored.
        const key = u.kind + '|' + u.carrier, isLatest = !latest.has(key);
        latest.add(key);
        if (!isLatest || u.mode !== 'seed') {
          const b = isLatest ? el('button', { type: 'button', class: 'link', 'data-undo': u.id }, t('undo', { id: u.id }))
            : el('button', { type: 'button', class: 'link', 'data-rollback': u.id }, t('rollback', { id: u.id }));
          b.addEventListener('click', () => restore(u.id, isLatest));
          act.append(b);
        }
      }
      return el('tr', null, el('td', { class: 'num' }, u.id), el('td', null, when), el('td', null, modeText(u)),
        el('td', { class: 'num' }, u.added + ' / ' + u.modified + ' / ' + u.removed), el('td', { class: 'num' }, u.total), act);
    });
    $('history-table').replaceChildren(...tableParts([t('h_id'), t('h_time'), t('h_mode'), t('h_counts'), t('h_total'), ''], rows));
    $('history').hidden = false;
  });
}

// restore restores the list as it was right after upload id, or with undo right before it.
function restore(id, undo) {
  if (!window.confirm(t(undo ? 'undo_confirm' : 'rollback_confirm', { id }))) { return; }
  setState('applying');
  call('POST', 'api/v1/uploads/' + id + (undo ? '/undo' : '/rollback')).then((r) => {
    if (r.status !== 200) { renderError(r); setState('error'); return; }
    renderReport(r.body, false);
    const u = r.body.upload;
    const msg = undo ? t('undone', { undone: id, to: u.rollback_to, id: u.id }) : t('rolled_back', { to: id, id: u.id });
    $('result-body').prepend(el('p', { class: 'status ok' }, msg));
    setState('applied');
    loadHistory();
  });
}

// ---- wiring -------------------------------------------------------------------------
function init() {
  applyLang();
  onLangButton(applyLang);
  $('token-check').addEventListener('click', () => { if ($('token').value.trim()) { useToken($('token').value); } });
  $('token').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { $('token-check').click(); } });
  $('token-forget').addEventListener('click', forgetToken);
  $('file').addEventListener('change', () => { st.checked = null; $('apply-row').hidden = true; updateButtons(); });
  document.querySelectorAll('input[name=mode]').forEach((r) => {
    r.addEventListener('change', () => { st.checked = null; $('apply-row').hidden = true; });
  });
  $('check').addEventListener('click', () => { send(true); });
  $('apply').addEventListener('click', () => {
    if (st.checked !== uploadKey()) { send(true); return; } // file or mode changed since the preview
    send(false);
  });
  setState('idle');
  const ready = getJSON('api/v1/carriers').then((b) => {
    st.carriers = {};
    b.carriers.forEach((c) => { st.carriers[c.id] = c.name; });
  }).catch(() => { /* names fall back to ids */ });
  let saved = null;
  try { saved = sessionStorage.getItem('phusong.token'); } catch { /* storage off */ }
  ready.then(() => (saved ? useToken(saved) : null)).then(() => { document.body.dataset.ready = 'true'; });
}
init();
