// i18n.js: the language of both pages, Vietnamese or English: from ?lang=, else the choice
// remembered in localStorage, else the browser's; the strings (strings.js) and numbers in it.
import { STRINGS } from './strings.js';
import { $ } from './dom.js';

const STORE_KEY = 'phusong.lang';
let current = pickLang();

function pickLang() {
  const q = /[?&]lang=(vi|en)/.exec(location.search);
  if (q) { return q[1]; }
  try {
    const s = localStorage.getItem(STORE_KEY);
    if (s === 'vi' || s === 'en') { return s; }
  } catch { /* private mode */ }
  return (navigator.language || 'vi').toLowerCase().startsWith('vi') ? 'vi' : 'en';
}

// lang is the page's language now: 'vi' or 'en'.
export const lang = () => current;

// t is the string key in the page's language, its {name}s filled from args; an unknown key is
// returned as it is.
export function t(key, args) {
  const e = STRINGS[key];
  const s = e ? e[current === 'vi' ? 0 : 1] : key;
  return args ? s.replace(/\{(\w+)\}/g, (_, a) => (a in args ? String(args[a]) : '')) : s;
}

// locale is the BCP 47 locale of the language, for numbers and dates.
export const locale = () => (current === 'vi' ? 'vi-VN' : 'en-GB');

// nf formats x with exactly digits decimals (default 0) in the language's style; '–' for no number.
export function nf(x, digits = 0) {
  if (x == null || isNaN(x)) { return '–'; }
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(x);
}

// pct formats a percentage with one decimal and a no-break space before %; '–' for no number.
export const pct = (x) => (x == null || isNaN(x) ? '–' : nf(x, 1) + '\u00a0%');

// translate relabels the page: <html lang>, the text of every [data-i18n] element, the title of
// every [data-i18n-title] element, and the language button #lang (it names the other language).
export function translate() {
  document.documentElement.lang = current;
  document.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.getAttribute('data-i18n')); });
  document.querySelectorAll('[data-i18n-title]').forEach((e) => { e.title = t(e.getAttribute('data-i18n-title')); });
  const b = $('lang');
  b.textContent = t('lang_btn');
  b.setAttribute('aria-label', current === 'vi' ? 'English' : 'Tiếng Việt');
}

// onLangButton makes #lang switch the language, remember it, and call changed.
export function onLangButton(changed) {
  $('lang').addEventListener('click', () => {
    current = current === 'vi' ? 'en' : 'vi';
    try { localStorage.setItem(STORE_KEY, current); } catch { /* private mode */ }
    changed();
  });
}
