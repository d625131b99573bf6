// review.js: the carriers' review queue on the upload page, imported once a token is in use:
// the places where "no signal here" reports contradict the carrier's predicted coverage
// (disputed ones first), each marked reviewed or resolved with a note. An admin token picks the
// carrier. Every server string is inserted as text.
import { $, el, setOptions, tableParts } from './dom.js';
import { t, nf } from './i18n.js';

// REVIEW_LABEL names the review states, OUTCOME_LABEL the reports' outcomes.
const REVIEW_LABEL = { open: 'st_open', reviewed: 'st_reviewed', resolved: 'st_resolved' };
const OUTCOME_LABEL = { no_service: 'o_no_service', weak: 'o_weak', drops: 'o_drops', fine: 'o_fine' };

// showQueue fills the review card for the token who (call sends authenticated requests;
// carriers maps carrier ids to names).
export function showQueue(call, who, carriers) {
  const box = $('review-body');
  $('review').hidden = false;
  if (who.admin) {
    const pick = el('select', { id: 'review-carrier', 'aria-label': t('carrier') });
    setOptions(pick, Object.keys(carriers || {}).map((id) => [id, carriers[id]]), Object.keys(carriers || {})[0]);
    const list = el('div', { id: 'review-list' });
    pick.addEventListener('change', () => load(call, pick.value, list));
    box.replaceChildren(el('label', { class: 'row' }, el('span', null, t('carrier')), pick), list);
    load(call, pick.value, list);
    return;
  }
  const list = el('div', { id: 'review-list' });
  box.replaceChildren(list);
  load(call, who.carrier, list);
}

// load lists carrier's queue in list.
function load(call, carrier, list) {
  call('GET', 'api/v1/carriers/' + encodeURIComponent(carrier) + '/disputes').then((r) => {
    if (r.status !== 200) {
      list.replaceChildren(el('p', { class: 'status bad' }, t('failed', { s: r.status, m: (r.body && r.body.error) || '' })));
      return;
    }
    const cells = r.body.cells.slice().sort((a, b) => (b.disputed - a.disputed) || (b.reporters - a.reporters));
    if (!cells.length) { list.replaceChildren(el('p', { class: 'fine' }, t('review_none'))); return; }
    list.replaceChildren(el('div', { class: 'scroll' }, el('table', { id: 'review-table' }, ...tableParts(
      [t('tech'), t('cell'), t('reporters'), t('days'), t('review_outcomes'), t('review_state'), ''],
      cells.map((c) => row(call, carrier, c, list))))));
  });
}

// row is one cell of the queue with its review controls.
function row(call, carrier, c, list) {
  const note = el('input', { type: 'text', maxlength: '1000', value: c.review.note || '', 'aria-label': t('review_note'), placeholder: t('review_note') });
  const mark = (state, label) => {
    const b = el('button', { type: 'button', class: 'link', 'data-review': state }, t(label));
    b.addEventListener('click', () => {
      b.disabled = true;
      call('PUT', 'api/v1/carriers/' + encodeURIComponent(carrier) + '/disputes/' + c.tech + '/' + encodeURIComponent(c.cell), {
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ state, note: note.value })
      }).then((r) => {
        b.disabled = false;
        if (r.status !== 200) { list.prepend(el('p', { class: 'status bad' }, t('failed', { s: r.status, m: (r.body && r.body.error) || '' }))); return; }
        load(call, carrier, list);
      });
    });
    return b;
  };
  const outcomes = Object.entries(c.outcomes).map(([o, n]) => t(OUTCOME_LABEL[o] || o) + ' ' + nf(n)).join(', ');
  return el('tr', { 'data-cell': c.cell },
    el('td', null, c.tech), el('td', null, c.cell, c.disputed && [el('br'), el('b', { class: 'bad-ink' }, t('disputed'))]),
    el('td', { class: 'num' }, nf(c.reporters)), el('td', { class: 'num' }, nf(c.days) + ' (' + c.last_day + ')'),
    el('td', null, outcomes), el('td', null, t(REVIEW_LABEL[c.review.state] || c.review.state), el('br'), note),
    el('td', null, mark('reviewed', 'mark_reviewed'), el('br'), mark('resolved', 'mark_resolved')));
}
