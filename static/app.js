/* phusong web map: Leaflet, no build step, no CDN. Mobile first: everything is a tap, details
   open in a bottom sheet (a side panel on wide screens). All data comes from /api/v1. */
(function () {
  'use strict';

  var T = {
    vi: {
      title: 'Phủ sóng', province: 'Trà Vinh', layers: 'Lớp bản đồ', carrier: 'Nhà mạng',
      any_carrier: 'Bất kỳ nhà mạng nào', l_communes: 'Tô màu xã/phường',
      by_area: 'chưa phủ (diện tích)', by_population: 'chưa phủ (dân số)', l_coverage: 'Vùng phủ sóng',
      off: 'tắt', cov_area: 'đạt ngưỡng', cov_tiers: 'mức tín hiệu', l_gaps: 'Vùng lõm (chưa phủ sóng)',
      l_sites: 'Trạm phát sóng', csv: 'Tải bảng số liệu (CSV)', dl_gaps: 'Tải vùng lõm:', here: 'Vị trí của tôi',
      demo_title: 'Dữ liệu mô phỏng.', demo_short: 'Các trạm phát sóng là dữ liệu giả lập, không phải vị trí thật.',
      more: 'Chi tiết', lang_btn: 'EN', loading: 'Đang tải…', load_failed: 'Không tải được dữ liệu',
      uncovered: 'Chưa phủ sóng', uncovered_area: 'Tỷ lệ diện tích chưa phủ', uncovered_pop: 'Tỷ lệ dân chưa phủ',
      covered: 'Có phủ sóng', covered_any: 'Phủ sóng (bất kỳ nhà mạng)', gaps: 'Vùng lõm',
      sites: 'Trạm', area: 'Diện tích', population: 'Dân số', households: 'Hộ',
      carriers_present: 'Số nhà mạng', per_carrier: 'Theo nhà mạng', ward: 'Phường', commune: 'Xã',
      white: 'Không có sóng', single: '1 nhà mạng', competitive: '≥2 nhà mạng', only3g: 'Chỉ có 3G',
      site: 'Trạm', height: 'Độ cao anten', status: 'Trạng thái', techs: 'Công nghệ', sectors: 'Cell/sector',
      band: 'Băng tần', azimuth: 'Hướng', beam: 'Độ rộng búp', tilt: 'Độ nghiêng', power: 'Công suất',
      omni: 'vô hướng', active: 'đang phát', planned: 'kế hoạch',
      signal_title: 'Tín hiệu dự báo', outdoor: 'Ngoài trời', indoor: 'Trong nhà', level: 'Mức',
      serving: 'Trạm', no_signal: 'Không có dự báo tại điểm này (ngoài vùng phân tích).',
      geo_denied: 'Không lấy được vị trí', geo_unsupported: 'Trình duyệt không hỗ trợ định vị.',
      signal_here: 'Tín hiệu tại điểm này', locating: 'Đang định vị…', yes: 'có', no: 'không',
      definition: 'Định nghĩa phủ sóng', tier: 'Mức', threshold: 'ngưỡng', of: 'trên', pop_of: 'người',
      outside: 'Ngoài tỉnh', other_tech: 'Công nghệ khác', share_covered: 'Tỷ lệ có sóng',
      l_fibre: 'Cáp quang', fibre_operator: 'Đơn vị', any_operator: 'Bất kỳ đơn vị nào',
      l_fibre_reach: 'Vùng trong tầm kéo cáp', l_fibre_routes: 'Tuyến cáp quang', by_fibre: 'cáp quang',
      by_combined: '4G × cáp quang', backbone: 'Trục chính', feeder: 'Tuyến nhánh', distribution: 'Tuyến phân phối',
      access_point: 'Tủ/hộp phối quang', fibre_share: 'Tỷ lệ hộ trong tầm cáp quang', in_reach: 'trong tầm',
      combined_title: '4G và cáp quang', threshold_label: 'Ngưỡng', neither: 'Thiếu cả hai', only4g: 'Chỉ có 4G',
      onlyfibre: 'Chỉ có cáp quang', both: 'Có cả hai', list_lacking: 'Danh sách xã (thiếu cả hai trước)',
      hh_in_reach: 'Hộ trong tầm', operators: 'Đơn vị', reach: 'Trong tầm', fibre_4g_pop: '4G (dân)',
      fibre_demo: 'Mạng cáp quang là dữ liệu giả lập, không phải mạng thật.', drop: 'cách tuyến phân phối hoặc tủ cáp ≤'
    },
    en: {
      title: 'Coverage', province: 'Trà Vinh', layers: 'Map layers', carrier: 'Carrier',
      any_carrier: 'Any carrier', l_communes: 'Colour communes by',
      by_area: 'uncovered (area)', by_population: 'uncovered (people)', l_coverage: 'Coverage',
      off: 'off', cov_area: 'above threshold', cov_tiers: 'signal levels', l_gaps: 'Gaps (no coverage)',
      l_sites: 'Base stations', csv: 'Download the table (CSV)', dl_gaps: 'Download gaps:', here: 'Here',
      demo_title: 'Demo data.', demo_short: 'Base stations are synthetic, not real positions.',
      more: 'Details', lang_btn: 'VI', loading: 'Loading…', load_failed: 'Could not load data',
      uncovered: 'Uncovered', uncovered_area: 'Share of area without coverage', uncovered_pop: 'Share of people without coverage',
      covered: 'Covered', covered_any: 'Covered (any carrier)', gaps: 'Gaps',
      sites: 'Sites', area: 'Area', population: 'Population', households: 'Households',
      carriers_present: 'Carriers', per_carrier: 'Per carrier', ward: 'Ward', commune: 'Commune',
      white: 'No carrier', single: 'One carrier', competitive: '2+ carriers', only3g: '3G only',
      site: 'Site', height: 'Antenna height', status: 'Status', techs: 'Technologies', sectors: 'Sectors',
      band: 'Band', azimuth: 'Azimuth', beam: 'Beamwidth', tilt: 'Tilt', power: 'Power',
      omni: 'omni', active: 'on air', planned: 'planned',
      signal_title: 'Predicted signal', outdoor: 'Outdoor', indoor: 'Indoor', level: 'Level',
      serving: 'Site', no_signal: 'No prediction at this point (outside the analysed area).',
      geo_denied: 'Could not get your position', geo_unsupported: 'This browser cannot give a position.',
      signal_here: 'Signal at this point', locating: 'Locating…', yes: 'yes', no: 'no',
      definition: 'Coverage definition', tier: 'Tier', threshold: 'threshold', of: 'of', pop_of: 'people',
      outside: 'Outside the province', other_tech: 'Other technology', share_covered: 'Share covered by',
      l_fibre: 'Fibre', fibre_operator: 'Operator', any_operator: 'Any operator',
      l_fibre_reach: 'Within reach of fibre', l_fibre_routes: 'Fibre routes', by_fibre: 'fibre reach',
      by_combined: '4G × fibre', backbone: 'Backbone', feeder: 'Feeder', distribution: 'Distribution',
      access_point: 'Cabinet / splitter', fibre_share: 'Share of households within fibre reach', in_reach: 'in reach',
      combined_title: '4G and fibre', threshold_label: 'Threshold', neither: 'Lacks both', only4g: '4G only',
      onlyfibre: 'Fibre only', both: 'Both', list_lacking: 'Commune list (lacking both first)',
      hh_in_reach: 'Households in reach', operators: 'Operators', reach: 'In reach', fibre_4g_pop: '4G (people)',
      fibre_demo: 'The fibre network is synthetic demo data, not a real network.', drop: 'from a distribution route or cabinet ≤'
    }
  };

  // Uncovered share classes (percent) and colours (ColorBrewer YlOrRd, colour-blind safe).
  var CHORO_BREAKS = [5, 15, 30, 50];
  var CHORO_COLOURS = ['#fffff2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
  var TIER_COLOURS = ['#08519c', '#3182bd', '#6baed6', '#bdd7e7', '#eff3ff'];
  var ANY_COLOUR = '#0b5394';
  // Fibre: households' share in reach (percent) classes and colours (ColorBrewer Purples), the
  // reach fill, route styles by kind, and the 2×2 combined 4G × fibre view (categories of
  // /api/v1/combined; lacking both in a strong orange).
  var FIBRE_BREAKS = [25, 50, 75, 90];
  var FIBRE_COLOURS = ['#f2f0f7', '#cbc9e2', '#9e9ac8', '#756bb1', '#54278f'];
  var REACH_COLOUR = '#6a3d9a';
  var KIND_STYLE = {
    backbone: { color: '#2d004b', weight: 4.5 }, feeder: { color: '#7b3294', weight: 3 }, distribution: { color: '#a86cc1', weight: 1.6 }
  };
  var COMBINED_COLOURS = { neither: '#d95f02', '4g_only': '#80a6d6', fibre_only: '#8fc27f', both: '#2b7a78' };
  var COMBINED_LABEL = { neither: 'neither', '4g_only': 'only4g', fibre_only: 'onlyfibre', both: 'both' };

  var st = {
    lang: pickLang(), tech: '4G', carrier: 'any', choro: 'area', cov: 'area',
    info: null, communes: null, sites: null, selected: null, covReq: 0, covKey: '',
    fibreOp: 'any', threshold: 70, combined: null, fibreKey: '', fibreReq: 0, reachKey: '', reachReq: 0
  };
  var map, layers = {}, renderer, siteRenderer;

  function pickLang() {
    var q = /[?&]lang=(vi|en)/.exec(location.search);
    if (q) { return q[1]; }
    try { var s = localStorage.getItem('phusong.lang'); if (s === 'vi' || s === 'en') { return s; } } catch (e) { /* private mode */ }
    return (navigator.language || 'vi').toLowerCase().indexOf('vi') === 0 ? 'vi' : 'en';
  }
  function t(k) { return (T[st.lang] && T[st.lang][k]) || T.en[k] || k; }
  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function nf(x, digits) {
    if (x == null || isNaN(x)) { return '–'; }
    return new Intl.NumberFormat(st.lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0 }).format(x);
  }
  function pct(x) { return x == null || isNaN(x) ? '–' : nf(x, 1) + '\u00a0%'; }

  function api(path) {
    return fetch(path, { headers: { Accept: 'application/json, application/geo+json' } }).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          throw new Error((b && b.error) || (r.status + ' ' + r.statusText));
        });
      }
      return r.json();
    });
  }
  var statusTimer;
  function flash(msg, ms) {
    var el = $('status');
    el.textContent = msg;
    el.hidden = false;
    clearTimeout(statusTimer);
    if (ms) { statusTimer = setTimeout(function () { el.hidden = true; }, ms); }
  }
  function unflash() { $('status').hidden = true; }

  // ---- i18n -------------------------------------------------------------------------
  function applyLang() {
    document.documentElement.lang = st.lang;
    document.querySelectorAll('[data-i18n]').forEach(function (el) { el.textContent = t(el.getAttribute('data-i18n')); });
    $('lang').textContent = t('lang_btn');
    $('lang').setAttribute('aria-label', st.lang === 'vi' ? 'English' : 'Tiếng Việt');
    document.title = t('title') + ' ' + t('province');
    if (st.info) { fillCarriers(); fillFibreOps(); }
    renderLegend();
    if (st.selected) { st.selected(); }
    sizeNote();
  }

  // ---- carriers ---------------------------------------------------------------------
  function carrier(id) {
    var cs = (st.info && st.info.carriers) || [];
    for (var i = 0; i < cs.length; i++) { if (cs[i].id === id) { return cs[i]; } }
    return { id: id, name: id, colour: '#636363' };
  }
  function fillCarriers() {
    var sel = $('carrier');
    var html = '<option value="any">' + esc(t('any_carrier')) + '</option>';
    st.info.carriers.forEach(function (c) {
      if (c.sites > 0) { html += '<option value="' + esc(c.id) + '">' + esc(c.name) + ' (' + nf(c.sites) + ')</option>'; }
    });
    sel.innerHTML = html;
    sel.value = st.carrier;
  }

  // ---- map --------------------------------------------------------------------------
  function initMap() {
    map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: true, minZoom: 7, maxZoom: 17, zoomSnap: 0.25, zoomDelta: 0.5 });
    renderer = L.canvas({ padding: 0.3, tolerance: 4 });
    map.createPane('sitesPane').style.zIndex = 450;
    siteRenderer = L.canvas({ pane: 'sitesPane', padding: 0.3, tolerance: 10 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (st.info.tiles_url) {
      L.tileLayer(st.info.tiles_url, { attribution: st.info.tiles_attribution || '', maxZoom: 19 }).addTo(map);
    }
    var b = st.info.bounds;
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [8, 8] });
    map.on('click', function (e) { showCommuneAt(e.latlng); });
    map.on('zoomend', function () { loadCoverage(); styleSites(); });
    map.on('movestart', function () { st.moving = true; });
    map.on('moveend', function () { st.moving = false; });
  }

  // Commune choropleth: share of area (or people) without coverage for the current tech. The
  // communes layer carries per-tech statistics suffixed "_3g" / "_4g".
  function uncoveredPct(props) {
    var sfx = '_' + st.tech.toLowerCase();
    if (st.choro === 'population') {
      var cp = props['covered_population' + sfx];
      if (cp == null || !props.population) { return null; }
      return 100 * (1 - cp / props.population);
    }
    var a = props['covered_area_pct' + sfx];
    return a == null ? null : 100 - a;
  }
  function choroColour(p) { return rampColour(p, CHORO_BREAKS, CHORO_COLOURS); }
  function rampColour(p, breaks, colours) {
    if (p == null) { return '#cccccc'; }
    for (var i = 0; i < breaks.length; i++) { if (p < breaks[i]) { return colours[i]; } }
    return colours[colours.length - 1];
  }
  // communeFill colours a commune for the current mode: uncovered share (area or people), fibre
  // reach share, or its combined 4G × fibre category.
  function communeFill(p) {
    if (st.choro === 'fibre') { return rampColour(p.fibre_reach_pct, FIBRE_BREAKS, FIBRE_COLOURS); }
    if (st.choro === 'combined') {
      var cat = st.combined && st.combined.cats[p.code];
      return cat ? COMBINED_COLOURS[cat] : '#cccccc';
    }
    return choroColour(uncoveredPct(p));
  }
  function communeStyle(f) {
    var on = $('l-communes').checked;
    var sel = st.selectedCode && f.properties.code === st.selectedCode;
    return {
      renderer: renderer, weight: sel ? 3 : 1, color: sel ? '#111' : '#6b6b6b', opacity: 0.9,
      fill: on, fillColor: communeFill(f.properties), fillOpacity: on ? 0.6 : 0, interactive: false
    };
  }
  function drawCommunes() {
    if (layers.communes) { layers.communes.remove(); }
    layers.communes = L.geoJSON(st.communes, { style: communeStyle }).addTo(map);
    layers.communes.bringToBack();
  }
  function restyleCommunes() { if (layers.communes) { layers.communes.setStyle(communeStyle); } }

  // Coverage polygons, simplified for the current zoom (fetched per zoom step, cached by ETag).
  function covZoom() {
    var z = Math.round(map.getZoom());
    return Math.max(st.info.zoom_min, Math.min(st.info.zoom_max, z));
  }
  function loadCoverage() {
    var mode = st.cov;
    var key = [mode, st.tech, st.carrier, mode === 'off' ? '' : covZoom()].join('|');
    if (key === st.covKey) { return; }
    st.covKey = key;
    var req = ++st.covReq;
    if (mode === 'off') {
      if (layers.coverage) { layers.coverage.remove(); layers.coverage = null; }
      return;
    }
    var tiers = mode === 'tiers' ? techInfo().tiers_dbm.map(function (_, i) { return i + 1; }) : [0];
    Promise.all(tiers.map(function (tier) {
      return api('api/v1/coverage?tech=' + st.tech + '&carrier=' + encodeURIComponent(st.carrier) + '&tier=' + tier + '&zoom=' + covZoom());
    })).then(function (fcs) {
      if (req !== st.covReq) { return; }
      var group = L.layerGroup();
      // Weakest tier first so stronger tiers are drawn on top.
      for (var i = fcs.length - 1; i >= 0; i--) {
        var colour = mode === 'tiers' ? TIER_COLOURS[i] : (st.carrier === 'any' ? ANY_COLOUR : carrier(st.carrier).colour);
        L.geoJSON(fcs[i], { style: { renderer: renderer, stroke: mode !== 'tiers', weight: 1, color: colour, opacity: 0.7, fillColor: colour, fillOpacity: mode === 'tiers' ? 0.45 : 0.3, interactive: false } }).addTo(group);
      }
      if (layers.coverage) { layers.coverage.remove(); }
      layers.coverage = group.addTo(map);
      if (layers.gaps) { layers.gaps.bringToFront(); }
    }).catch(function (e) { st.covKey = ''; flash(t('load_failed') + ': ' + e.message, 4000); });
  }

  function loadGaps() {
    if (layers.gaps) { layers.gaps.remove(); layers.gaps = null; }
    if (!$('l-gaps').checked) { return; }
    var tech = st.tech;
    api('api/v1/gaps?tech=' + tech).then(function (fc) {
      if (tech !== st.tech || !$('l-gaps').checked) { return; }
      if (layers.gaps) { layers.gaps.remove(); }
      layers.gaps = L.geoJSON(fc, { style: { renderer: renderer, weight: 1.5, color: '#b2182b', opacity: 0.9, fillColor: '#b2182b', fillOpacity: 0.25, dashArray: '4 3', interactive: false } }).addTo(map);
    }).catch(function (e) { flash(t('load_failed') + ': ' + e.message, 4000); });
  }

  // Sites: canvas circle markers (1,200+ stay smooth on a phone); tap opens the site sheet.
  function siteVisible(p) {
    if (st.carrier !== 'any' && p.carrier !== st.carrier) { return false; }
    return p.technologies.indexOf(st.tech) >= 0;
  }
  function siteRadius() { var z = map.getZoom(); return z >= 14 ? 7 : z >= 12.5 ? 5 : z >= 11 ? 3.5 : 2.5; }
  // Below SITE_TAP_ZOOM the dots are too dense to aim at: a tap there opens the commune.
  var SITE_TAP_ZOOM = 11.5;
  function sitesTappable() { return map.getZoom() >= SITE_TAP_ZOOM; }
  function drawSites() {
    if (layers.sites) { layers.sites.remove(); layers.sites = null; }
    if (!$('l-sites').checked || !st.sites) { return; }
    var group = L.layerGroup(), r = siteRadius();
    st.sites.features.forEach(function (f) {
      var p = f.properties;
      if (!siteVisible(p)) { return; }
      var c = f.geometry.coordinates;
      var m = L.circleMarker([c[1], c[0]], {
        renderer: siteRenderer, radius: r, weight: r > 3 ? 1.5 : 0.5, color: '#fff', fillColor: carrier(p.carrier).colour,
        fillOpacity: 0.95, bubblingMouseEvents: false, interactive: sitesTappable()
      });
      m.on('click', function () { showSite(p.carrier, p.site_id, m.getLatLng()); });
      group.addLayer(m);
    });
    layers.sites = group.addTo(map);
  }
  function styleSites() {
    if (!layers.sites) { return; }
    var r = siteRadius(), tappable = sitesTappable();
    layers.sites.eachLayer(function (m) {
      m.options.interactive = tappable; // the canvas renderer reads it at each tap
      if (m.getRadius() !== r) { m.setRadius(r); m.setStyle({ weight: r > 3 ? 1.5 : 0.5 }); }
    });
  }

  // ---- legend -----------------------------------------------------------------------
  function techInfo() {
    var ts = (st.info && st.info.techs) || [];
    for (var i = 0; i < ts.length; i++) { if (ts[i].tech === st.tech) { return ts[i]; } }
    return { tech: st.tech, tiers_dbm: [], threshold_dbm: null, metric: '' };
  }
  function renderLegend() {
    var el = $('legend');
    if (!st.info) { el.innerHTML = ''; return; }
    var h = '';
    if ($('l-communes').checked && (st.choro === 'fibre' || st.choro === 'combined')) {
      h += fibreChoroLegend();
    } else if ($('l-communes').checked) {
      h += '<div class="lg-title">' + esc(st.choro === 'population' ? t('uncovered_pop') : t('uncovered_area')) + ' (' + st.tech + ')</div>';
      for (var i = 0; i < CHORO_COLOURS.length; i++) {
        var lo = i === 0 ? 0 : CHORO_BREAKS[i - 1], hi = CHORO_BREAKS[i];
        h += '<div class="lg-row"><span class="sw" style="background:' + CHORO_COLOURS[i] + '"></span>' +
          (hi == null ? '≥ ' + lo + ' %' : lo + '–' + hi + ' %') + '</div>';
      }
    }
    var ti = techInfo();
    if (st.cov === 'area') {
      var col = st.carrier === 'any' ? ANY_COLOUR : carrier(st.carrier).colour;
      h += '<div class="lg-title">' + esc(t('l_coverage')) + '</div><div class="lg-row"><span class="sw" style="background:' + col + ';opacity:.6"></span>' +
        esc(ti.metric) + ' ≥ ' + esc(ti.threshold_dbm) + ' dBm (' + esc(st.carrier === 'any' ? t('any_carrier') : carrier(st.carrier).name) + ')</div>';
    } else if (st.cov === 'tiers') {
      h += '<div class="lg-title">' + esc(t('l_coverage')) + ' · ' + esc(ti.metric) + '</div>';
      ti.tiers_dbm.forEach(function (d, i) {
        h += '<div class="lg-row"><span class="sw" style="background:' + TIER_COLOURS[i] + '"></span>≥ ' + esc(d) + ' dBm</div>';
      });
    }
    if ($('l-gaps').checked) {
      h += '<div class="lg-row"><span class="sw" style="background:rgba(178,24,43,.25);border:1.5px dashed #b2182b"></span>' + esc(t('gaps')) + '</div>';
    }
    if ($('l-sites').checked) {
      h += '<div class="lg-title">' + esc(t('l_sites')) + '</div>';
      st.info.carriers.forEach(function (c) {
        if (c.sites > 0) { h += '<div class="lg-row"><span class="dot" style="background:' + esc(c.colour) + '"></span>' + esc(c.name) + '</div>'; }
      });
    }
    h += fibreLayersLegend();
    el.innerHTML = h;
    var list = $('combined-list');
    if (list) { list.onclick = showCombinedList; }
    renderMiniLegend();
    $('defver').textContent = t('definition') + ': ' + (st.info.definition_version || '');
  }

  // The always-visible legend: the choropleth ramp and the coverage colour; a tap opens the
  // full legend in the layers panel.
  function renderMiniLegend() {
    var el = $('mini-legend'), h = '';
    if ($('l-communes').checked && st.choro === 'fibre') {
      h += '<div>' + esc(t('fibre_share')) + '</div><div class="ramp">';
      FIBRE_COLOURS.forEach(function (c) { h += '<span style="background:' + c + '"></span>'; });
      h += '</div><div class="ends"><span>0 %</span><span>≥ ' + FIBRE_BREAKS[FIBRE_BREAKS.length - 1] + ' %</span></div>';
    } else if ($('l-communes').checked && st.choro === 'combined') {
      h += '<div>' + esc(t('combined_title')) + ' ≥ ' + st.threshold + ' %</div>' + bivariateGrid(false);
    } else if ($('l-communes').checked) {
      h += '<div>' + esc(st.choro === 'population' ? t('uncovered_pop') : t('uncovered_area')) + '</div><div class="ramp">';
      CHORO_COLOURS.forEach(function (c) { h += '<span style="background:' + c + '"></span>'; });
      h += '</div><div class="ends"><span>0 %</span><span>≥ ' + CHORO_BREAKS[CHORO_BREAKS.length - 1] + ' %</span></div>';
    }
    if (st.cov === 'area') {
      var col = st.carrier === 'any' ? ANY_COLOUR : carrier(st.carrier).colour;
      h += '<div class="cov"><i style="background:' + col + ';opacity:.55"></i>' + esc(t('covered')) + ' ' + st.tech + '</div>';
    } else if (st.cov === 'tiers') {
      h += '<div class="cov">' + TIER_COLOURS.slice(0, techInfo().tiers_dbm.length).map(function (c) { return '<i style="background:' + c + '"></i>'; }).join('') + esc(t('cov_tiers')) + '</div>';
    }
    if ($('l-fibre-reach').checked) {
      h += '<div class="cov"><i style="background:' + REACH_COLOUR + ';opacity:.5"></i>' + esc(t('l_fibre')) + ' ≤ ' + nf(st.info.fibre_drop_m) + ' m</div>';
    }
    el.innerHTML = h;
    el.hidden = h === '';
  }

  // ---- sheet ------------------------------------------------------------------------
  function openSheet(title, html, redraw) {
    $('sheet-title').innerHTML = title;
    $('sheet-body').innerHTML = html;
    $('sheet').hidden = false;
    $('sheet').scrollTop = 0;
    document.body.classList.add('sheet-open');
    st.selected = redraw || null;
    if (map) { map.invalidateSize(); }
  }
  // focus pans the map so latlng shows in the part of the map the sheet does not cover (on a
  // phone the sheet lies over the lower half; on a wide screen the map shrinks beside it).
  function focus(latlng) {
    var mapRect = map.getContainer().getBoundingClientRect();
    var sheetRect = $('sheet').getBoundingClientRect();
    var visibleH = $('sheet').hidden || sheetRect.left > mapRect.left + 10 ? mapRect.height : Math.max(60, sheetRect.top - mapRect.top);
    var p = map.latLngToContainerPoint(latlng);
    var margin = Math.min(40, visibleH / 4);
    if (p.y < margin || p.y > visibleH - margin || p.x < 40 || p.x > mapRect.width - 40) {
      map.panBy([p.x - mapRect.width / 2, p.y - visibleH / 2], { animate: true });
    }
  }
  // markSite rings the selected site and draws its sectors' boresights (40 px long) for the current
  // technology, so the sheet's table can be read against the map.
  function markSite(f) {
    if (layers.mark) { layers.mark.remove(); }
    var c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]), col = carrier(f.properties.carrier).colour;
    var g = L.layerGroup();
    var mPerDegLat = 111320, mPerDegLon = 111320 * Math.cos(ll.lat * Math.PI / 180);
    (f.properties.sectors || []).forEach(function (s) {
      if (s.tech !== st.tech || s.omni) { return; }
      var a = s.azimuth_deg * Math.PI / 180, d = 40 * 156543.03 * Math.cos(ll.lat * Math.PI / 180) / Math.pow(2, map.getZoom()); // 40 px
      var end = [ll.lat + d * Math.cos(a) / mPerDegLat, ll.lng + d * Math.sin(a) / mPerDegLon];
      L.polyline([ll, end], { renderer: siteRenderer, color: '#111', weight: 3, opacity: 0.85, interactive: false }).addTo(g);
    });
    L.circleMarker(ll, { renderer: siteRenderer, radius: siteRadius() + 6, color: '#111', weight: 3, fill: true, fillColor: col, fillOpacity: 1, interactive: false }).addTo(g);
    layers.mark = g.addTo(map);
  }
  function closeSheet() {
    if (layers.mark) { layers.mark.remove(); layers.mark = null; }
    $('sheet').hidden = true;
    document.body.classList.remove('sheet-open');
    st.selected = null;
    if (map) { map.invalidateSize(); }
    if (st.selectedCode) { st.selectedCode = null; restyleCommunes(); }
    if (layers.here) { layers.here.remove(); layers.here = null; }
  }

  function pointInRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function communeAt(latlng) {
    var fs = (st.communes && st.communes.features) || [];
    for (var i = 0; i < fs.length; i++) {
      var g = fs[i].geometry, polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
      for (var p = 0; p < polys.length; p++) {
        var inside = false;
        for (var r = 0; r < polys[p].length; r++) { if (pointInRing(latlng.lng, latlng.lat, polys[p][r])) { inside = !inside; } }
        if (inside) { return fs[i]; }
      }
    }
    return null;
  }

  function showCommuneAt(latlng) {
    var f = communeAt(latlng);
    if (!f) { closeSheet(); flash(t('outside'), 1500); return; }
    showCommune(f.properties.code, latlng);
  }

  function showCommune(code, latlng) {
    st.selectedCode = code;
    restyleCommunes();
    api('api/v1/communes/' + encodeURIComponent(code)).then(function (c) {
      var draw = function () {
        var s = c.techs[st.tech], other = c.techs[st.tech === '4G' ? '3G' : '4G'];
        var title = esc(c.name) + (st.lang === 'en' && c.name_en && c.name_en !== c.name ? ' <small>(' + esc(c.name_en) + ')</small>' : '');
        var h = '<p class="sub">' + esc(c.type === 'ward' ? t('ward') : t('commune')) + ' · ' + esc(c.code) + ' · ' + st.tech + '</p>';
        if (s) {
          var popPct = s.population > 0 ? s.covered_population_pct : null;
          var hhPct = s.households > 0 ? 100 * s.covered_households / s.households : null;
          h += '<p class="kcap">' + esc(t('share_covered')) + ' ' + st.tech + ' (' + esc(t('any_carrier')).toLowerCase() + ')</p><div class="kpis">' +
            kpi(pct(s.covered_area_pct), t('area'), s.covered_area_pct < 70) +
            kpi(pct(popPct), t('population'), popPct != null && popPct < 70) +
            kpi(pct(hhPct), t('households'), hhPct != null && hhPct < 70) + '</div>';
          h += '<p class="facts">' + esc(t('covered')) + ': ' + nf(s.covered_area_km2, 1) + ' ' + esc(t('of')) + ' ' + nf(s.area_km2, 1) + ' km² · ' +
            nf(s.covered_population) + ' ' + esc(t('of')) + ' ' + nf(s.population) + ' ' + esc(t('pop_of')) + '<br>' +
            esc(t('carriers_present')) + ': <b>' + nf(s.carriers_present) + '</b>' + areaSplit(s) + '</p>';
          h += '<table><thead><tr><th>' + esc(t('per_carrier')) + '</th><th class="n">' + esc(t('area')) + '</th><th class="n">' + esc(t('population')) + '</th></tr></thead><tbody>';
          (s.per_carrier || []).forEach(function (pc) {
            var cc = carrier(pc.carrier);
            var pp = s.population > 0 ? 100 * pc.covered_population / s.population : null;
            h += '<tr><td><span class="dot" style="background:' + esc(cc.colour) + ';display:inline-block"></span>' + esc(cc.name) + '</td><td class="n">' + pct(pc.covered_area_pct) + '</td><td class="n">' + pct(pp) + '</td></tr>';
          });
          h += '</tbody></table>';
        }
        if (other) {
          h += '<p class="facts">' + esc(t('other_tech')) + ' (' + esc(other.tech || (st.tech === '4G' ? '3G' : '4G')) + '): ' + pct(other.covered_area_pct) + ' ' + esc(t('area')).toLowerCase() + '</p>';
        }
        h += communeFibreHTML(c);
        if (latlng) { h += '<button type="button" class="action" id="sig-here">' + esc(t('signal_here')) + '</button>'; }
        openSheet(title, h, draw);
        if (latlng) { focus(latlng); }
        var b = $('sig-here');
        if (b) { b.onclick = function () { showSignal(latlng); }; }
      };
      draw();
    }).catch(function (e) { flash(t('load_failed') + ': ' + e.message, 4000); });
  }
  function kpi(v, label, bad) { return '<div class="kpi' + (bad ? ' bad' : '') + '"><b>' + v + '</b><span>' + esc(label) + '</span></div>'; }
  function areaSplit(s) {
    if (s.white_area_km2 == null) { return ''; }
    return '<br>' + esc(t('white')) + ': ' + nf(s.white_area_km2, 1) + ' km² · ' + esc(t('single')) + ': ' + nf(s.single_carrier_area_km2, 1) +
      ' km² · ' + esc(t('competitive')) + ': ' + nf(s.competitive_area_km2, 1) + ' km²' +
      (s.three_g_only_area_km2 > 0 ? ' · ' + esc(t('only3g')) + ': ' + nf(s.three_g_only_area_km2, 1) + ' km²' : '');
  }

  function showSite(carrierID, siteID, latlng) {
    api('api/v1/sites/' + encodeURIComponent(carrierID) + '/' + encodeURIComponent(siteID)).then(function (f) {
      var draw = function () {
        var p = f.properties, c = carrier(p.carrier);
        var title = '<span class="dot" style="background:' + esc(c.colour) + ';display:inline-block"></span>' + esc(c.name) + ' · ' + esc(p.site_id);
        var h = '<p class="facts">' + esc(t('techs')) + ': <b>' + esc(p.technologies.join(', ')) + '</b> · ' + esc(t('height')) + ': ' + nf(p.height_m, 0) + ' m · ' +
          esc(t('status')) + ': ' + esc(t(p.status) || p.status) + '</p>';
        h += '<table><thead><tr><th>' + esc(t('sectors')) + '</th><th class="n">' + esc(t('band')) + '<br>MHz</th><th class="n">' + esc(t('azimuth')) +
          '</th><th class="n">' + esc(t('tilt')) + '</th><th class="n">' + esc(t('power')) + '<br>dBm</th></tr></thead><tbody>';
        var perTech = {};
        (p.sectors || []).forEach(function (s) {
          perTech[s.tech] = (perTech[s.tech] || 0) + 1;
          h += '<tr><td>' + esc(s.tech) + ' · ' + perTech[s.tech] + '</td><td class="n">' + esc(Math.round(s.band_mhz)) + '</td><td class="n">' +
            (s.omni ? esc(t('omni')) : nf(s.azimuth_deg) + '°') + '</td><td class="n">' + nf(s.tilt_deg, 0) + '°</td><td class="n">' + nf(s.power_dbm, 0) + '</td></tr>';
        });
        h += '</tbody></table>';
        if (st.info.demo) { h += '<p class="fine">' + esc(t('demo_short')) + '</p>'; }
        openSheet(title, h, draw);
        markSite(f);
        if (latlng) { focus(latlng); }
      };
      draw();
    }).catch(function (e) { flash(t('load_failed') + ': ' + e.message, 4000); });
  }

  function showSignal(latlng) {
    if (layers.here) { layers.here.remove(); }
    layers.here = L.circleMarker(latlng, { renderer: siteRenderer, radius: 9, color: '#fff', weight: 3, fillColor: '#1a73e8', fillOpacity: 1, interactive: false }).addTo(map);
    api('api/v1/signal?lon=' + latlng.lng.toFixed(6) + '&lat=' + latlng.lat.toFixed(6)).then(function (r) {
      var draw = function () {
        var title = esc(t('signal_title')) + ' · ' + st.tech;
        var h = '<p class="sub">' + (r.commune ? esc(r.commune.name) + ' · ' : '') + latlng.lat.toFixed(5) + ', ' + latlng.lng.toFixed(5) + '</p>';
        // The best of all carriers first: it answers "can I use my phone here".
        var rows = (r.levels || []).filter(function (l) { return l.tech === st.tech; });
        rows.sort(function (a, b) { return (b.carrier === 'any') - (a.carrier === 'any'); });
        if (!rows.length) {
          h += '<p>' + esc(t('no_signal')) + '</p>';
        } else {
          h += '<table><thead><tr><th>' + esc(t('carrier')) + '</th><th class="n">' + esc(t('level')) + '</th><th class="c">' + esc(t('outdoor')) + '</th><th class="c">' + esc(t('indoor')) + '</th></tr></thead><tbody>';
          rows.forEach(function (l) {
            var any = l.carrier === 'any', c = any ? { name: t('any_carrier'), colour: ANY_COLOUR } : carrier(l.carrier);
            var serving = l.serving_site_id ? (any ? carrier(l.serving_carrier).name + ' ' : '') + l.serving_site_id : '';
            h += '<tr' + (any ? ' class="any"' : '') + '><td><span class="dot" style="background:' + esc(c.colour) + ';display:inline-block"></span>' + esc(c.name) +
              (serving ? '<br><small>' + esc(t('serving')) + ': ' + esc(serving) + '</small>' : '') + '</td><td class="n">' +
              (l.level_dbm == null ? '&lt;\u00a0' + nf(techInfo().cutoff_dbm, 0) : nf(l.level_dbm, 0)) + '\u00a0dBm</td><td>' + yn(l.covered_outdoor) + '</td><td>' + yn(l.covered_indoor) + '</td></tr>';
          });
          h += '</tbody></table>';
          h += '<p class="fine">' + esc(t('threshold')) + ': ' + esc(t('outdoor')).toLowerCase() + ' ≥ ' + nf(rows[0].required_outdoor_dbm, 0) + ' dBm · ' +
            esc(t('indoor')).toLowerCase() + ' ≥ ' + nf(rows[0].required_indoor_dbm, 0) + ' dBm (' + esc(techInfo().metric) + ')</p>';
        }
        openSheet(title, h, draw);
        focus(latlng);
      };
      draw();
    }).catch(function (e) { flash(t('load_failed') + ': ' + e.message, 4000); });
  }
  function yn(b) { return b ? '<span class="ok" title="' + esc(t('yes')) + '">✓</span>' : '<span class="no" title="' + esc(t('no')) + '">✗</span>'; }

  function here() {
    if (!navigator.geolocation) { flash(t('geo_unsupported'), 3000); return; }
    flash(t('locating'));
    navigator.geolocation.getCurrentPosition(function (pos) {
      unflash();
      var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(ll, Math.max(map.getZoom(), 13), { animate: false });
      showSignal(ll);
    }, function (err) {
      flash(t('geo_denied') + (err && err.message ? ': ' + err.message : ''), 4000);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  // ---- fibre -----------------------------------------------------------------------
  // Fibre layers load on demand (never on first paint): the reach polygons per zoom step, the
  // routes (trunks below zoom 11, the whole network from 11, access points from 12), the
  // combined 4G × fibre view when that colouring is chosen. Each sits in its own canvas pane
  // above coverage and below the sites.
  var fibreRenderers = {};
  function initFibre() {
    [['fibreReach', 410], ['fibreRoutes', 420]].forEach(function (p) {
      map.createPane(p[0] + 'Pane').style.zIndex = p[1];
      fibreRenderers[p[0]] = L.canvas({ pane: p[0] + 'Pane', padding: 0.3, tolerance: 4 });
    });
    map.on('zoomend', loadFibre);
  }
  function fibreOperator(id) {
    var os = (st.info && st.info.fibre_operators) || [];
    for (var i = 0; i < os.length; i++) { if (os[i].id === id) { return os[i]; } }
    return { id: id, name: id, colour: '#636363' };
  }
  function fillFibreOps() {
    var sel = $('fibre-op');
    var html = '<option value="any">' + esc(t('any_operator')) + '</option>';
    (st.info.fibre_operators || []).forEach(function (o) {
      html += '<option value="' + esc(o.id) + '">' + esc(o.name) + ' (' + pct(o.reach_pct) + ')</option>';
    });
    sel.innerHTML = html;
    sel.value = st.fibreOp;
  }
  function loadFibre() { loadFibreReach(); loadFibreRoutes(); }
  function loadFibreReach() {
    if (!$('l-fibre-reach').checked) {
      if (layers.fibreReach) { layers.fibreReach.remove(); layers.fibreReach = null; }
      st.reachKey = '';
      return;
    }
    var key = st.fibreOp + '|' + covZoom();
    if (key === st.reachKey) { return; }
    st.reachKey = key;
    var req = ++st.reachReq;
    api('api/v1/fibre/reach?operator=' + encodeURIComponent(st.fibreOp) + '&zoom=' + covZoom()).then(function (fc) {
      if (req !== st.reachReq) { return; }
      if (layers.fibreReach) { layers.fibreReach.remove(); }
      layers.fibreReach = L.geoJSON(fc, { style: { renderer: fibreRenderers.fibreReach, weight: 1, color: REACH_COLOUR, opacity: 0.8, fillColor: REACH_COLOUR, fillOpacity: 0.28, interactive: false } }).addTo(map);
    }).catch(function (e) { st.reachKey = ''; flash(t('load_failed') + ': ' + e.message, 4000); });
  }
  function loadFibreRoutes() {
    if (!$('l-fibre-routes').checked) {
      if (layers.fibreRoutes) { layers.fibreRoutes.remove(); layers.fibreRoutes = null; }
      st.fibreKey = '';
      return;
    }
    var z = map.getZoom(), kinds = z >= 11 ? '' : 'backbone,feeder', aps = z >= 12;
    var key = [st.fibreOp, kinds, aps].join('|');
    if (key === st.fibreKey) { return; }
    st.fibreKey = key;
    var req = ++st.fibreReq;
    api('api/v1/fibre?operator=' + encodeURIComponent(st.fibreOp) + (kinds ? '&kind=' + kinds : '')).then(function (fc) {
      if (req !== st.fibreReq) { return; }
      var group = L.layerGroup(), r = fibreRenderers.fibreRoutes;
      // Distribution first, trunks on top, access points last.
      ['distribution', 'feeder', 'backbone'].forEach(function (kind) {
        var ks = KIND_STYLE[kind];
        L.geoJSON(fc, {
          filter: function (f) { return f.properties.kind === kind; },
          style: { renderer: r, color: ks.color, weight: ks.weight, opacity: 0.9, lineCap: 'round', interactive: false }
        }).addTo(group);
      });
      if (aps) {
        L.geoJSON(fc, {
          filter: function (f) { return f.properties.kind === 'access_point'; },
          pointToLayer: function (f, ll) { return L.circleMarker(ll, { renderer: r, radius: 3.5, color: '#2d004b', weight: 1.5, fillColor: '#fff', fillOpacity: 1, interactive: false }); }
        }).addTo(group);
      }
      if (layers.fibreRoutes) { layers.fibreRoutes.remove(); }
      layers.fibreRoutes = group.addTo(map);
    }).catch(function (e) { st.fibreKey = ''; flash(t('load_failed') + ': ' + e.message, 4000); });
  }
  function loadCombined() {
    var th = st.threshold;
    if (st.combined && st.combined.threshold === th) { restyleCommunes(); renderLegend(); return; }
    api('api/v1/combined?threshold_pct=' + th).then(function (c) {
      if (th !== st.threshold) { return; }
      var cats = {};
      c.communes.forEach(function (r) { cats[r.code] = r.category; });
      st.combined = { threshold: th, cats: cats, counts: c.counts, rows: c.communes };
      restyleCommunes();
      renderLegend();
    }).catch(function (e) { flash(t('load_failed') + ': ' + e.message, 4000); });
  }
  // choroChanged follows a change of the commune colouring. The fibre colourings turn the 4G
  // coverage polygons off (drawn over the communes they would tint every colour blue); the
  // user may turn them on again.
  function choroChanged() {
    $('threshold-row').hidden = st.choro !== 'combined';
    if ((st.choro === 'fibre' || st.choro === 'combined') && st.cov !== 'off') {
      st.cov = 'off';
      press('#covmode', 'data-cov', 'off');
      loadCoverage();
    }
    if (st.choro === 'combined') { loadCombined(); }
    restyleCommunes();
    renderLegend();
  }
  // bivariateGrid is the 2×2 legend: fibre up, 4G right; full adds the names and counts, else
  // the axes follow the grid on one line (the mini legend).
  function bivariateGrid(full) {
    var n = function (cat) { return full && st.combined ? ' <b>' + nf(st.combined.counts[cat] || 0) + '</b>' : ''; };
    var cell = function (cat) {
      return '<span class="bv-cell" style="background:' + COMBINED_COLOURS[cat] + '" title="' + esc(t(COMBINED_LABEL[cat])) + '"></span>' +
        (full ? '<span class="bv-lab">' + esc(t(COMBINED_LABEL[cat])) + n(cat) + '</span>' : '');
    };
    var grid = '<div class="bv-grid">' + cell('fibre_only') + cell('both') + cell('neither') + cell('4g_only') + '</div>';
    if (!full) { return '<div class="bv mini">' + grid + '<span>↑ ' + esc(t('l_fibre')) + '<br>→ 4G</span></div>'; }
    return '<div class="bv full"><span class="bv-y">' + esc(t('l_fibre')) + ' ↑</span>' + grid + '<span class="bv-x">4G →</span></div>';
  }
  function fibreChoroLegend() {
    var h;
    if (st.choro === 'fibre') {
      h = '<div class="lg-title">' + esc(t('fibre_share')) + '</div>';
      for (var i = 0; i < FIBRE_COLOURS.length; i++) {
        var lo = i === 0 ? 0 : FIBRE_BREAKS[i - 1], hi = FIBRE_BREAKS[i];
        h += '<div class="lg-row"><span class="sw" style="background:' + FIBRE_COLOURS[i] + '"></span>' +
          (hi == null ? '≥ ' + lo + ' %' : lo + '–' + hi + ' %') + '</div>';
      }
      return h;
    }
    h = '<div class="lg-title">' + esc(t('combined_title')) + ' (≥ ' + st.threshold + ' %)</div>' + bivariateGrid(true);
    h += '<p class="fine">' + esc(t('fibre_4g_pop')) + ' · ' + esc(t('fibre_share')).toLowerCase() + '</p>';
    h += '<button type="button" class="action" id="combined-list">' + esc(t('list_lacking')) + '</button>';
    return h;
  }
  function fibreLayersLegend() {
    var h = '', reach = $('l-fibre-reach').checked, routes = $('l-fibre-routes').checked;
    if (!reach && !routes && st.choro !== 'fibre' && st.choro !== 'combined') { return ''; }
    if (reach || routes) {
      h += '<div class="lg-title">' + esc(t('l_fibre')) + ' · ' + esc(st.fibreOp === 'any' ? t('any_operator') : fibreOperator(st.fibreOp).name) + '</div>';
    }
    if (reach) {
      h += '<div class="lg-row"><span class="sw" style="background:' + REACH_COLOUR + ';opacity:.5"></span>' + esc(t('l_fibre_reach')) +
        ' (' + esc(t('drop')) + ' ' + nf(st.info.fibre_drop_m) + ' m)</div>';
    }
    if (routes) {
      ['backbone', 'feeder', 'distribution'].forEach(function (k) {
        h += '<div class="lg-row"><span class="ln" style="background:' + KIND_STYLE[k].color + ';height:' + Math.round(KIND_STYLE[k].weight) + 'px"></span>' + esc(t(k)) + '</div>';
      });
      h += '<div class="lg-row"><span class="dot" style="background:#fff;box-shadow:0 0 0 1.5px #2d004b"></span>' + esc(t('access_point')) + '</div>';
    }
    if (st.info.fibre_note) { h += '<p class="fine">' + esc(t('fibre_demo')) + '</p>'; }
    return h;
  }
  function communeFibreHTML(c) {
    if (!c.fibre) { return ''; }
    var h = '<p class="kcap">' + esc(t('l_fibre')) + ' (' + esc(t('drop')) + ' ' + nf(c.fibre.drop_m) + ' m)</p><div class="kpis">' +
      kpi(pct(c.fibre_reach_pct), t('households'), c.fibre_reach_pct < 50) +
      kpi(nf(c.fibre_households_in_reach), t('hh_in_reach'), false) +
      kpi(nf((c.fibre_operators || []).length), t('operators'), !(c.fibre_operators || []).length) + '</div>';
    if ((c.fibre.per_operator || []).length) {
      h += '<table><thead><tr><th>' + esc(t('fibre_operator')) + '</th><th class="n">' + esc(t('reach')) + '</th><th class="n">' + esc(t('households')) + '</th></tr></thead><tbody>';
      c.fibre.per_operator.forEach(function (o) {
        var fo = fibreOperator(o.operator);
        h += '<tr><td><span class="dot" style="background:' + esc(fo.colour) + ';display:inline-block"></span>' + esc(fo.name) + '</td><td class="n">' +
          pct(o.reach_pct) + '</td><td class="n">' + nf(o.households_in_reach) + '</td></tr>';
      });
      h += '</tbody></table>';
    }
    if (st.info.fibre_note) { h += '<p class="fine">' + esc(t('fibre_demo')) + '</p>'; }
    return h;
  }
  // showCombinedList lists the communes of the combined view, lacking both first; a row opens
  // the commune.
  function showCombinedList() {
    if (!st.combined) { return; }
    $('layers').hidden = true;
    $('layers-btn').setAttribute('aria-expanded', 'false');
    var draw = function () {
      var h = '<p class="sub">' + esc(t('fibre_4g_pop')) + ' · ' + esc(t('fibre_share')).toLowerCase() + ' · ≥ ' + st.threshold + ' %</p>' +
        '<table><thead><tr><th></th><th>' + esc(t('commune')) + '</th><th class="n">4G</th><th class="n">' + esc(t('l_fibre')) + '</th></tr></thead><tbody>';
      st.combined.rows.forEach(function (r) {
        h += '<tr class="pick" data-code="' + esc(r.code) + '"><td><span class="sw" style="background:' + COMBINED_COLOURS[r.category] + '" title="' +
          esc(t(COMBINED_LABEL[r.category])) + '"></span></td><td>' + esc(r.name) + '</td><td class="n">' + pct(r.covered_4g_population_pct) +
          '</td><td class="n">' + pct(r.fibre_reach_pct) + '</td></tr>';
      });
      openSheet(esc(t('combined_title')), h + '</tbody></table>', draw);
      document.querySelectorAll('#sheet tr.pick').forEach(function (tr) {
        tr.onclick = function () { showCommune(tr.getAttribute('data-code')); };
      });
    };
    draw();
  }
  function bindFibre() {
    $('fibre-op').onchange = function () { st.fibreOp = this.value; loadFibre(); renderLegend(); };
    $('l-fibre-reach').onchange = function () { loadFibreReach(); renderLegend(); };
    $('l-fibre-routes').onchange = function () { loadFibreRoutes(); renderLegend(); };
    $('threshold').onchange = function () { st.threshold = +this.value; loadCombined(); renderMiniLegend(); };
  }

  // ---- controls ---------------------------------------------------------------------
  function press(groupSel, attr, value) {
    document.querySelectorAll(groupSel + ' button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute(attr) === value));
    });
  }
  function sizeNote() {
    var n = $('demo-note');
    if (!n.hidden) { document.body.style.setProperty('--note-h', n.offsetHeight + 'px'); }
    if (map) { map.invalidateSize(); }
  }
  function bind() {
    $('lang').onclick = function () {
      st.lang = st.lang === 'vi' ? 'en' : 'vi';
      try { localStorage.setItem('phusong.lang', st.lang); } catch (e) { /* private mode */ }
      applyLang();
    };
    $('layers-btn').onclick = function () {
      var p = $('layers');
      p.hidden = !p.hidden;
      $('layers-btn').setAttribute('aria-expanded', String(!p.hidden));
    };
    document.querySelectorAll('[data-close]').forEach(function (b) {
      b.onclick = function () {
        if (b.getAttribute('data-close') === 'sheet') { closeSheet(); } else { $('layers').hidden = true; $('layers-btn').setAttribute('aria-expanded', 'false'); }
      };
    });
    document.querySelectorAll('#techs button').forEach(function (b) {
      b.onclick = function () {
        st.tech = b.getAttribute('data-tech');
        press('#techs', 'data-tech', st.tech);
        refresh();
      };
    });
    document.querySelectorAll('#choro button').forEach(function (b) {
      b.onclick = function () { st.choro = b.getAttribute('data-choro'); press('#choro', 'data-choro', st.choro); choroChanged(); };
    });
    document.querySelectorAll('#covmode button').forEach(function (b) {
      b.onclick = function () { st.cov = b.getAttribute('data-cov'); press('#covmode', 'data-cov', st.cov); loadCoverage(); renderLegend(); };
    });
    $('carrier').onchange = function () { st.carrier = this.value; loadCoverage(); drawSites(); renderLegend(); };
    $('l-communes').onchange = function () { restyleCommunes(); renderLegend(); };
    $('l-gaps').onchange = function () { loadGaps(); renderLegend(); };
    $('l-sites').onchange = function () { drawSites(); renderLegend(); };
    $('here').onclick = here;
    bindFibre();
    $('mini-legend').onclick = function () { $('layers').hidden = false; $('layers-btn').setAttribute('aria-expanded', 'true'); };
    $('demo-more').onclick = function () { openSheet(esc(t('demo_title')), '<p>' + esc(st.info.note) + '</p>'); };
    window.addEventListener('resize', sizeNote);
  }
  function refresh() {
    $('csv-link').href = 'api/v1/report.csv?tech=' + st.tech;
    ['kml', 'csv', 'geojson'].forEach(function (f) { var a = $('gaps-' + f); a.href = 'api/v1/gaps?tech=' + st.tech + (f === 'geojson' ? '' : '&format=' + f); a.setAttribute('download', 'phusong_gaps_' + st.tech + '.' + f); });
    restyleCommunes();
    loadCoverage();
    loadGaps();
    drawSites();
    renderLegend();
    if (st.selected) { st.selected(); }
  }

  function start() {
    bind();
    applyLang();
    flash(t('loading'));
    api('api/v1/info').then(function (info) {
      st.info = info;
      if (info.demo) { $('demo-note').hidden = false; document.body.classList.add('has-note'); }
      initMap();
      initFibre();
      applyLang();
      return Promise.all([
        api('api/v1/communes').then(function (fc) { st.communes = fc; drawCommunes(); }),
        api('api/v1/sites').then(function (fc) { st.sites = fc; drawSites(); })
      ]);
    }).then(function () {
      unflash();
      refresh();
      document.body.setAttribute('data-ready', 'true');
    }).catch(function (e) {
      flash(t('load_failed') + ': ' + e.message);
      document.body.setAttribute('data-ready', 'error');
    });
  }

  // Exposed for the browser tests and for debugging in the console.
  window.phusong = {
    state: st, layers: layers, communeAt: communeAt, map: function () { return map; }, sitesTappable: function () { return sitesTappable(); },
    idle: function () { return !!map && !st.moving && !map._animatingZoom; }
  };
  start();
}());
