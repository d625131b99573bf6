// dom.js: both pages build their DOM from elements and text nodes, never from HTML strings.

// $ returns the element with the id.
export const $ = (id) => document.getElementById(id);

// el builds an element: el('td', {class: 'n'}, 'text', node, [more], …). Attributes go through
// setAttribute, so only plain ones belong here: never style (see styled) nor an on… handler.
// Strings and numbers become text nodes; arrays are flattened; null, undefined and false are
// left out (and empty strings), so a child may be written `cond && node`.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'style' || k.startsWith('on')) { throw new Error('el: set ' + k + ' from script, not as an attribute'); }
    e.setAttribute(k, v);
  }
  e.append(...nodes(children));
  return e;
}

// nodes flattens children as el takes them into what Node.append takes.
export function nodes(children) {
  return children.flat(Infinity).filter((c) => c != null && c !== false && c !== '').map((c) => (typeof c === 'object' ? c : String(c)));
}

// styled sets CSS properties on e through the CSSOM (allowed under a strict Content-Security-Policy,
// unlike a style attribute) and returns e: styled(el('span', {class: 'sw'}), {background: c}).
export function styled(e, css) {
  Object.assign(e.style, css);
  return e;
}

// th is a header cell with an optional class.
export const th = (label, cls) => el('th', cls ? { class: cls } : null, label);

// td is a cell with an optional class.
export const td = (cls, ...children) => el('td', cls ? { class: cls } : null, ...children);

// tableParts returns a table's <thead> (one row of head cells: strings or elements) and <tbody>.
export function tableParts(head, rows) {
  return [el('thead', null, el('tr', null, head.map((h) => (typeof h === 'string' ? th(h) : h)))), el('tbody', null, rows)];
}

// table builds <table> from head cells and body rows.
export const table = (head, rows) => el('table', null, tableParts(head, rows));

// setOptions replaces a <select>'s options with [value, label] pairs and selects value.
export function setOptions(sel, pairs, value) {
  sel.replaceChildren(...pairs.map(([v, label]) => el('option', { value: v }, label)));
  sel.value = value;
}
