/* phusong carrier upload page: token → file → dry run (validation and coverage impact) → apply.
   The token is kept in sessionStorage only (gone when the tab closes) and sent as a bearer
   token; every server string is inserted as text, never as HTML. body[data-state] tells
   tests where the page is: idle, checking, checked, invalid, applying, applied, error. */
(function () {
  'use strict';

  var T = {
    vi: {
      title: 'Tải danh sách trạm', back_map: 'Bản đồ', lang_btn: 'EN',
      token_h: 'Mã truy cập (token)', token_use: 'Dùng mã', token_forget: 'Quên mã',
      token_help: 'Mã do quản trị viên cấp cho nhà mạng. Chỉ lưu trong thẻ trình duyệt này và bị xoá khi đóng thẻ.',
      token_ok: 'Mã {p} của nhà mạng {c}.', token_admin: 'Mã {p} là mã quản trị: chỉ được hoàn tác, không tải danh sách. Dùng mã của nhà mạng.',
      token_bad: 'Mã không hợp lệ hoặc đã bị thu hồi.', token_checking: 'Đang kiểm tra mã…',
      file_h: 'Tệp danh sách trạm',
      file_help: 'CSV (mỗi dòng một sector: site_id, lon, lat, height_m, tech, band_mhz, azimuth_deg…; UTF-8, dấu phẩy hoặc chấm phẩy; có thể là tệp xuất từ OpenCelliD) hoặc GeoJSON. Tệp .gz được chấp nhận.',
      mode_h: 'Cách áp dụng', mode_replace: 'Thay thế: tệp là toàn bộ danh sách trạm',
      mode_upsert: 'Bổ sung/cập nhật: thêm trạm mới, sửa trạm cùng mã', mode_delete: 'Xoá: gỡ các trạm có mã trong tệp (cột site_id)',
      check: 'Kiểm tra và xem trước', apply: 'Áp dụng thay đổi', checking: 'Đang kiểm tra…', applying: 'Đang áp dụng…',
      preview_t: 'Xem trước (chưa thay đổi gì)', applied_t: 'Đã áp dụng', invalid_t: 'Tệp chưa hợp lệ', error_t: 'Không thực hiện được',
      applied_msg: 'Đã lưu thành phiên bản #{id}. Bản đồ đã được cập nhật.', preview_msg: 'Chưa có gì thay đổi. Kiểm tra tác động rồi bấm “Áp dụng thay đổi”.',
      added: 'thêm', changed: 'sửa', removed: 'gỡ', total: 'tổng số trạm',
      warnings: '{n} lưu ý (giá trị mặc định đã dùng…)', errors_n: '{n} lỗi — không có gì được lưu:',
      where: 'Vị trí', field: 'Trường', value: 'Giá trị', message: 'Lỗi', line: 'dòng', feature: 'đối tượng',
      impact_prov: 'Tác động toàn tỉnh', impact_communes: 'Xã/phường thay đổi ({n})', no_commune: 'Không xã/phường nào thay đổi độ phủ.',
      tech: 'Công nghệ', commune: 'Xã/phường', area_any: 'Diện tích phủ (mọi nhà mạng)', pop_any: 'Dân số được phủ (mọi nhà mạng)',
      area_mine: 'Diện tích phủ của {c}', pop_mine: 'Dân số được phủ bởi {c}',
      history_h: 'Các lần tải gần đây', h_id: '#', h_time: 'Thời điểm', h_mode: 'Cách', h_counts: '+ / ~ / −', h_total: 'Tổng',
      dry: 'xem trước', rollback: 'Quay về bản này', rollback_confirm: 'Quay danh sách trạm về phiên bản #{id}? Việc này tạo một phiên bản mới.',
      rolled_back: 'Đã quay về phiên bản #{to} (phiên bản mới #{id}).', failed: 'Lỗi {s}: {m}', network: 'Không kết nối được máy chủ.'
    },
    en: {
      title: 'Upload station list', back_map: 'Map', lang_btn: 'VI',
      token_h: 'Access token', token_use: 'Use token', token_forget: 'Forget token',
      token_help: 'The token an administrator issued to your carrier. It is kept in this browser tab only and cleared when the tab closes.',
      token_ok: 'Token {p} of carrier {c}.', token_admin: 'Token {p} is an admin token: it may roll back, not upload. Use your carrier’s token.',
      token_bad: 'Invalid or revoked token.', token_checking: 'Checking the token…',
      file_h: 'Station list file',
      file_help: 'CSV (one row per sector: site_id, lon, lat, height_m, tech, band_mhz, azimuth_deg…; UTF-8, comma or semicolon; an OpenCelliD export works) or GeoJSON. .gz files are accepted.',
      mode_h: 'How to apply it', mode_replace: 'Replace: the file is the whole station list',
      mode_upsert: 'Add/update: add new sites, update sites with the same id', mode_delete: 'Delete: remove the sites whose ids are in the file (site_id column)',
      check: 'Check and preview', apply: 'Apply the change', checking: 'Checking…', applying: 'Applying…',
      preview_t: 'Preview (nothing changed yet)', applied_t: 'Applied', invalid_t: 'The file is not valid', error_t: 'Not done',
      applied_msg: 'Saved as version #{id}. The map is updated.', preview_msg: 'Nothing has changed yet. Check the impact, then press “Apply the change”.',
      added: 'added', changed: 'changed', removed: 'removed', total: 'sites in all',
      warnings: '{n} notes (defaults applied…)', errors_n: '{n} errors — nothing was saved:',
      where: 'Where', field: 'Field', value: 'Value', message: 'Problem', line: 'line', feature: 'feature',
      impact_prov: 'Province impact', impact_communes: 'Communes that change ({n})', no_commune: 'No commune’s coverage changes.',
      tech: 'Tech', commune: 'Commune', area_any: 'Covered area (any carrier)', pop_any: 'Covered people (any carrier)',
      area_mine: 'Area covered by {c}', pop_mine: 'People covered by {c}',
      history_h: 'Recent uploads', h_id: '#', h_time: 'When', h_mode: 'Mode', h_counts: '+ / ~ / −', h_total: 'Total',
      dry: 'preview', rollback: 'Roll back to this', rollback_confirm: 'Roll the station list back to version #{id}? This makes a new version.',
      rolled_back: 'Rolled back to version #{to} (new version #{id}).', failed: 'Error {s}: {m}', network: 'Could not reach the server.'
    }
  };

  var st = { lang: pickLang(), token: '', who: null, checked: null };

  function $(id) { return document.getElementById(id); }
  function pickLang() {
    var q = /[?&]lang=(vi|en)/.exec(location.search);
    if (q) { return q[1]; }
    try { var s = localStorage.getItem('phusong.lang'); if (s === 'vi' || s === 'en') { return s; } } catch (e) { /* private mode */ }
    return (navigator.language || 'vi').toLowerCase().indexOf('vi') === 0 ? 'vi' : 'en';
  }
  function t(k, args) {
    var s = (T[st.lang] && T[st.lang][k]) || T.en[k] || k;
    return s.replace(/\{(\w+)\}/g, function (_, a) { return args && a in args ? String(args[a]) : ''; });
  }
  function num(x, digits) {
    return new Intl.NumberFormat(st.lang === 'vi' ? 'vi-VN' : 'en-GB',
      { maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0 }).format(x);
  }
  function setState(s) { document.body.dataset.state = s; }

  // el builds an element: el('td', {class: 'num'}, 'text', childNode …); strings become text.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function table(head, rows) {
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', h.num ? { class: 'num' } : {}, h.label)); });
    var tb = el('table', {}, el('thead', {}, tr));
    var body = el('tbody');
    rows.forEach(function (r) { body.appendChild(r); });
    tb.appendChild(body);
    return el('div', { class: 'scroll' }, tb);
  }

  // ---- i18n ---------------------------------------------------------------------------
  function applyLang() {
    document.documentElement.lang = st.lang;
    document.querySelectorAll('[data-i18n]').forEach(function (e) { e.textContent = t(e.getAttribute('data-i18n')); });
    document.querySelectorAll('[data-i18n-title]').forEach(function (e) { e.title = t(e.getAttribute('data-i18n-title')); });
    document.title = t('title') + ' · phusong';
    $('lang').textContent = t('lang_btn');
    $('lang').setAttribute('aria-label', st.lang === 'vi' ? 'English' : 'Tiếng Việt');
    if (st.who) { showWho(); }
  }

  // ---- API ----------------------------------------------------------------------------
  // api sends a request with the token; it resolves to {status, body} (body parsed JSON, or
  // null) and never rejects (a network failure is status 0).
  function api(method, path, opts) {
    opts = opts || {};
    var headers = Object.assign({ Authorization: 'Bearer ' + st.token, Accept: 'application/json' }, opts.headers || {});
    return fetch(path, { method: method, headers: headers, body: opts.body, cache: 'no-store' }).then(function (r) {
      return r.text().then(function (txt) {
        var b = null;
        try { b = txt ? JSON.parse(txt) : null; } catch (e) { b = { error: txt.slice(0, 300) }; }
        return { status: r.status, body: b };
      });
    }, function () { return { status: 0, body: { error: t('network') } }; });
  }

  // ---- token --------------------------------------------------------------------------
  function carrierName(id) { return (st.carriers && st.carriers[id]) || id; }

  function showWho() {
    var w = $('who'), tok = st.who;
    w.hidden = false;
    w.className = 'status ' + (tok.admin ? 'bad' : 'ok');
    w.textContent = tok.admin ? t('token_admin', { p: 'phs_' + tok.id }) : t('token_ok', { p: 'phs_' + tok.id, c: carrierName(tok.carrier) });
  }

  function useToken(tok) {
    st.token = tok.trim();
    st.who = null;
    var w = $('who');
    w.hidden = false; w.className = 'status'; w.textContent = t('token_checking');
    return api('GET', 'api/v1/token').then(function (r) {
      if (r.status !== 200) {
        w.className = 'status bad';
        w.textContent = r.status === 401 ? t('token_bad') : t('failed', { s: r.status, m: (r.body && r.body.error) || '' });
        try { sessionStorage.removeItem('phusong.token'); } catch (e) { /* storage off */ }
        updateButtons();
        return;
      }
      st.who = r.body.token;
      try { sessionStorage.setItem('phusong.token', st.token); } catch (e) { /* storage off */ }
      $('token').value = '';
      $('token-forget').hidden = false;
      showWho();
      updateButtons();
      loadHistory();
    });
  }

  function forgetToken() {
    try { sessionStorage.removeItem('phusong.token'); } catch (e) { /* storage off */ }
    st.token = ''; st.who = null; st.checked = null;
    $('who').hidden = true; $('token-forget').hidden = true; $('history').hidden = true; $('result').hidden = true;
    updateButtons();
  }

  // ---- upload -------------------------------------------------------------------------
  function mode() { return document.querySelector('input[name=mode]:checked').value; }
  function canUpload() { return !!(st.who && !st.who.admin && $('file').files.length); }
  function updateButtons() { $('check').disabled = !canUpload(); }
  function uploadKey() { var f = $('file').files[0]; return f ? [f.name, f.size, f.lastModified, mode(), st.who && st.who.id].join('|') : ''; }

  // fileBody returns the request headers and body for the chosen file: type by extension,
  // .gz sent as gzip-encoded, other files over 256 KB compressed here when the browser can.
  function fileBody() {
    var f = $('file').files[0];
    var name = f.name.toLowerCase(), gz = /\.gz$/.test(name);
    var base = name.replace(/\.gz$/, '');
    var headers = { 'Content-Type': /\.(geojson|json)$/.test(base) ? 'application/geo+json' : 'text/csv' };
    if (gz) { headers['Content-Encoding'] = 'gzip'; return Promise.resolve({ headers: headers, body: f }); }
    if (f.size > 256 * 1024 && window.CompressionStream && f.stream) {
      return new Response(f.stream().pipeThrough(new CompressionStream('gzip'))).blob().then(function (b) {
        headers['Content-Encoding'] = 'gzip';
        return { headers: headers, body: b };
      });
    }
    return Promise.resolve({ headers: headers, body: f });
  }

  function send(dry) {
    var key = uploadKey();
    setState(dry ? 'checking' : 'applying');
    $('check').disabled = true; $('apply').disabled = true;
    showResult(dry ? t('checking') : t('applying'), null);
    return fileBody().then(function (fb) {
      var path = 'api/v1/carriers/' + encodeURIComponent(st.who.carrier) + '/sites?mode=' + mode() + '&dry_run=' + (dry ? 'true' : 'false');
      return api('POST', path, { headers: fb.headers, body: fb.body });
    }).then(function (r) {
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
    var b = $('result-body');
    b.textContent = '';
    if (body) { b.appendChild(body); }
    $('apply-row').hidden = true;
  }

  function renderError(r) {
    var b = r.body || {}, frag = document.createDocumentFragment();
    if (r.status === 422 && b.errors && b.errors.length) {
      frag.appendChild(el('p', { class: 'status bad' }, t('errors_n', { n: b.errors.length })));
      frag.appendChild(table([{ label: t('where') }, { label: t('field') }, { label: t('value') }, { label: t('message') }],
        b.errors.map(function (e) {
          var where = e.line ? t('line') + ' ' + e.line : e.feature ? t('feature') + ' ' + e.feature : '';
          return el('tr', {}, el('td', {}, where), el('td', {}, e.field || ''), el('td', {}, e.value || ''), el('td', {}, e.message));
        })));
    } else {
      frag.appendChild(el('p', { class: 'status bad' }, t('failed', { s: r.status || '', m: b.error || '' })));
    }
    showResult(r.status === 422 ? t('invalid_t') : t('error_t'), frag);
  }

  // fromTo renders "before → after" with the change coloured.
  function fromTo(before, after, digits, unit) {
    var cls = after > before ? 'up' : after < before ? 'down' : '';
    return el('td', { class: 'num' }, num(before, digits) + ' → ', el('span', cls ? { class: cls } : {}, num(after, digits)), unit || '');
  }

  function impactRows(rows, withName) {
    return rows.map(function (x) {
      var tr = el('tr');
      if (withName) { tr.appendChild(el('td', {}, x.name)); }
      tr.appendChild(el('td', {}, x.tech));
      tr.appendChild(fromTo(x.before.covered_area_pct, x.after.covered_area_pct, 1, ' %'));
      tr.appendChild(fromTo(x.before.covered_population, x.after.covered_population, 0));
      tr.appendChild(fromTo(x.carrier_before.covered_area_pct, x.carrier_after.covered_area_pct, 1, ' %'));
      tr.appendChild(fromTo(x.carrier_before.covered_population, x.carrier_after.covered_population, 0));
      return tr;
    });
  }

  function renderReport(rep, dry) {
    var u = rep.upload, frag = document.createDocumentFragment(), c = carrierName(u.carrier);
    frag.appendChild(el('p', { class: 'status ' + (dry ? '' : 'ok') }, dry ? t('preview_msg') : t('applied_msg', { id: u.id })));
    var k = el('div', { class: 'kpis' });
    [['added', u.added], ['changed', u.modified], ['removed', u.removed], ['total', u.total]].forEach(function (p) {
      k.appendChild(el('div', { class: 'kpi' }, el('b', {}, num(p[1])), el('span', {}, t(p[0]))));
    });
    frag.appendChild(k);
    if (u.warnings && u.warnings.length) {
      var ul = el('ul');
      u.warnings.slice(0, 200).forEach(function (w) {
        var where = w.line ? t('line') + ' ' + w.line + ': ' : w.feature ? t('feature') + ' ' + w.feature + ': ' : '';
        ul.appendChild(el('li', {}, where + (w.field ? w.field + ': ' : '') + w.message));
      });
      frag.appendChild(el('details', { class: 'note' }, el('summary', {}, t('warnings', { n: u.warnings.length })), ul));
    }
    var imp = rep.impact;
    if (imp) {
      var head = [{ label: t('tech') }, { label: t('area_any'), num: true }, { label: t('pop_any'), num: true },
        { label: t('area_mine', { c: c }), num: true }, { label: t('pop_mine', { c: c }), num: true }];
      frag.appendChild(el('h3', {}, t('impact_prov')));
      frag.appendChild(table(head, impactRows(imp.province, false)));
      var cs = imp.communes.slice().sort(function (a, b) {
        return Math.abs(b.carrier_after.covered_population - b.carrier_before.covered_population) -
          Math.abs(a.carrier_after.covered_population - a.carrier_before.covered_population);
      });
      frag.appendChild(el('h3', {}, t('impact_communes', { n: cs.length })));
      frag.appendChild(cs.length ? el('div', { id: 'impact-communes' }, table([{ label: t('commune') }].concat(head), impactRows(cs, true)))
        : el('p', { class: 'fine' }, t('no_commune')));
    }
    showResult(dry ? t('preview_t') : t('applied_t'), frag);
    $('apply-row').hidden = !dry;
  }

  // ---- history and rollback -------------------------------------------------------------
  function loadHistory() {
    if (!st.who) { return; }
    api('GET', 'api/v1/uploads?limit=10').then(function (r) {
      if (r.status !== 200) { return; }
      var rows = r.body.uploads.map(function (u) {
        var when = new Date(u.created_at).toLocaleString(st.lang === 'vi' ? 'vi-VN' : 'en-GB');
        var act = el('td');
        if (!u.dry_run) {
          var b = el('button', { type: 'button', class: 'link', 'data-rollback': u.id }, t('rollback'));
          b.onclick = function () { rollback(u.id); };
          act.appendChild(b);
        }
        return el('tr', {}, el('td', { class: 'num' }, u.id), el('td', {}, when),
          el('td', {}, u.mode + (u.dry_run ? ' (' + t('dry') + ')' : '') + (st.who.admin ? ' · ' + u.carrier : '')),
          el('td', { class: 'num' }, u.added + ' / ' + u.modified + ' / ' + u.removed), el('td', { class: 'num' }, u.total), act);
      });
      var tb = $('history-table');
      tb.textContent = '';
      var tr = el('tr');
      [t('h_id'), t('h_time'), t('h_mode'), t('h_counts'), t('h_total'), ''].forEach(function (h) { tr.appendChild(el('th', {}, h)); });
      tb.appendChild(el('thead', {}, tr));
      var body = el('tbody');
      rows.forEach(function (x) { body.appendChild(x); });
      tb.appendChild(body);
      $('history').hidden = false;
    });
  }

  function rollback(id) {
    if (!window.confirm(t('rollback_confirm', { id: id }))) { return; }
    setState('applying');
    api('POST', 'api/v1/uploads/' + id + '/rollback').then(function (r) {
      if (r.status !== 200) { renderError(r); setState('error'); return; }
      renderReport(r.body, false);
      $('result-body').insertBefore(el('p', { class: 'status ok' }, t('rolled_back', { to: id, id: r.body.upload.id })), $('result-body').firstChild);
      setState('applied');
      loadHistory();
    });
  }

  // ---- wiring -------------------------------------------------------------------------
  function init() {
    applyLang();
    $('lang').onclick = function () {
      st.lang = st.lang === 'vi' ? 'en' : 'vi';
      try { localStorage.setItem('phusong.lang', st.lang); } catch (e) { /* private mode */ }
      applyLang();
    };
    $('token-check').onclick = function () { if ($('token').value.trim()) { useToken($('token').value); } };
    $('token').onkeydown = function (ev) { if (ev.key === 'Enter') { $('token-check').click(); } };
    $('token-forget').onclick = forgetToken;
    $('file').onchange = function () { st.checked = null; $('apply-row').hidden = true; updateButtons(); };
    document.querySelectorAll('input[name=mode]').forEach(function (r) {
      r.onchange = function () { st.checked = null; $('apply-row').hidden = true; };
    });
    $('check').onclick = function () { send(true); };
    $('apply').onclick = function () {
      if (st.checked !== uploadKey()) { send(true); return; } // file or mode changed since the preview
      send(false);
    };
    setState('idle');
    var ready = fetch('api/v1/carriers').then(function (r) { return r.json(); }).then(function (b) {
      st.carriers = {};
      b.carriers.forEach(function (c) { st.carriers[c.id] = c.name; });
    }).catch(function () { /* names fall back to ids */ });
    var saved = null;
    try { saved = sessionStorage.getItem('phusong.token'); } catch (e) { /* storage off */ }
    ready.then(function () { return saved ? useToken(saved) : null; }).then(function () { document.body.dataset.ready = 'true'; });
  }
  init();
})();
