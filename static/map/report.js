// map/report.js: "no signal here". Under the signal at the user's own position, one tap reports
// what the phone does there, for a carrier and the chosen technology. No account: the browser
// keeps a random device id (it lets the server tell reporters apart, stored only as a keyed hash);
// the position sent is rounded to 3 decimals (about 110 m) and the server rounds it to 100 m.
import { el, setOptions } from '../dom.js';
import { request } from '../api.js';
import { t } from '../i18n.js';
import { st, flash } from './state.js';

const DEVICE_KEY = 'phusong.device';

// deviceID returns this browser's random id, made on first use.
function deviceID() {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      const b = new Uint8Array(15);
      crypto.getRandomValues(b);
      id = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return 'session-' + Math.random().toString(16).slice(2).padEnd(16, '0'); // private mode: this page only
  }
}

// OUTCOMES are the four answers, with the class and the label of their button.
const OUTCOMES = [['no_service', 'bad', 'o_no_service'], ['weak', 'bad', 'o_weak'], ['drops', 'bad', 'o_drops'], ['fine', 'good', 'o_fine']];

// fillReport fills box with the report controls for latlng; serving is the carrier the signal
// sheet found best there (preselected unless a carrier is chosen on the map).
export function fillReport(box, latlng, serving) {
  const carriers = st.info.carriers.filter((c) => c.sites > 0);
  const pick = el('select', { id: 'report-carrier', 'aria-label': t('carrier') });
  setOptions(pick, carriers.map((c) => [c.id, c.name]), st.carrier !== 'any' ? st.carrier : serving || carriers[0].id);
  const result = el('p', { class: 'fine', id: 'report-result', 'aria-live': 'polite' });
  const buttons = OUTCOMES.map(([o, cls, label]) => {
    const b = el('button', { type: 'button', class: cls, 'data-outcome': o }, t(label));
    b.addEventListener('click', () => send(o, pick.value, latlng, buttons, result));
    return b;
  });
  box.replaceChildren(el('h3', null, t('report_h') + ' · ' + st.tech), el('label', { class: 'row' }, el('span', null, t('carrier')), pick),
    el('div', { class: 'outcomes' }, buttons), result, el('p', { class: 'fine' }, t('report_help')));
}

// send posts one report and says what became of it.
function send(outcome, carrierID, latlng, buttons, result) {
  buttons.forEach((b) => { b.disabled = true; });
  const round = (x) => Math.round(x * 1000) / 1000;
  request('api/v1/reports', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ lon: round(latlng.lng), lat: round(latlng.lat), carrier: carrierID, tech: st.tech, outcome, device: deviceID() })
  }).then((r) => {
    if (r.status === 201) {
      result.className = 'fine report-done';
      result.textContent = t('report_thanks') + ' ' + t(r.body.contradicts ? 'report_disputes' : 'report_agrees');
      flash(t('report_thanks'), 3000);
      return;
    }
    buttons.forEach((b) => { b.disabled = false; });
    result.textContent = t('report_failed', { m: (r.body && r.body.error) || r.statusText || r.status });
  });
}
