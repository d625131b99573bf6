// map/tiles.js: the server's vector tiles (/tiles/{collection}/{z}/{x}/{y}.mvt) drawn on
// canvas tiles: a small Mapbox Vector Tile 2.1 decoder (protocol buffers, geometry commands)
// and a Leaflet GridLayer that fetches, decodes and paints each tile.

// Protocol buffers: a reader over the bytes of one message.
class Pbf {
  constructor(bytes, start = 0, end = bytes.length) { this.b = bytes; this.pos = start; this.end = end; }
  varint() {
    let v = 0, shift = 0, byte;
    do {
      byte = this.b[this.pos++];
      v += (byte & 0x7f) * 2 ** shift; // no bit operators past 31 bits
      shift += 7;
    } while (byte & 0x80);
    return v;
  }
  // fields calls f(tag, wireType) for each field; f reads the value or returns false to skip it.
  fields(f) {
    while (this.pos < this.end) {
      const key = this.varint(), tag = Math.floor(key / 8), wt = key & 7;
      const at = this.pos;
      if (f(tag, wt) !== false && this.pos !== at) { continue; }
      this.skip(wt);
    }
  }
  skip(wt) {
    if (wt === 0) { this.varint(); } else if (wt === 1) { this.pos += 8; } else if (wt === 2) { const n = this.varint(); this.pos += n; } else if (wt === 5) { this.pos += 4; }
  }
  bytes() { const n = this.varint(), s = this.pos; this.pos += n; return [s, this.pos]; }
  string() { const [s, e] = this.bytes(); return new TextDecoder().decode(this.b.subarray(s, e)); }
  packed() { const [s, e] = this.bytes(), r = new Pbf(this.b, s, e), out = []; while (r.pos < r.end) { out.push(r.varint()); } return out; }
}

const zigzag = (n) => (n % 2 ? -(n + 1) / 2 : n / 2);

// decodeGeometry turns MVT geometry commands into rings (polygons), lines or points: arrays of
// [x, y] in tile units.
function decodeGeometry(cmds) {
  const parts = [];
  let x = 0, y = 0, cur = null;
  for (let i = 0; i < cmds.length;) {
    const c = cmds[i++], id = c & 7, n = c >> 3;
    if (id === 7) { if (cur && cur.length) { cur.push(cur[0]); } continue; }
    for (let k = 0; k < n; k++) {
      x += zigzag(cmds[i++]); y += zigzag(cmds[i++]);
      if (id === 1) { cur = []; parts.push(cur); }
      cur.push([x, y]);
    }
  }
  return parts;
}

// decodeTile reads an MVT: [{name, extent, features: [{id, type (1 point, 2 line, 3 polygon),
// parts}]}]. Properties are not decoded: the map styles features by their id.
export function decodeTile(buf) {
  const pbf = new Pbf(new Uint8Array(buf)), layers = [];
  pbf.fields((tag, wt) => {
    if (tag !== 3 || wt !== 2) { return false; }
    const [s, e] = pbf.bytes(), lp = new Pbf(pbf.b, s, e), layer = { name: '', extent: 4096, features: [] };
    lp.fields((t, w) => {
      if (t === 1 && w === 2) { layer.name = lp.string(); return true; }
      if (t === 5 && w === 0) { layer.extent = lp.varint(); return true; }
      if (t !== 2 || w !== 2) { return false; }
      const [fs, fe] = lp.bytes(), fp = new Pbf(lp.b, fs, fe), f = { id: null, type: 0, parts: [] };
      fp.fields((ft, fw) => {
        if (ft === 1 && fw === 0) { f.id = fp.varint(); return true; }
        if (ft === 3 && fw === 0) { f.type = fp.varint(); return true; }
        if (ft === 4 && fw === 2) { f.parts = decodeGeometry(fp.packed()); return true; }
        return false;
      });
      layer.features.push(f);
      return true;
    });
    layers.push(layer);
    return true;
  });
  return layers;
}

// vectorTiles returns a Leaflet GridLayer of collection's tiles (query: a property filter such
// as '?tier=0', or '') in pane, painted by paint(ctx, features, scale) with ctx in CSS pixels;
// it fires 'load' when the visible tiles are drawn.
export function vectorTiles(collection, query, pane, paint) {
  const Layer = L.GridLayer.extend({
    createTile(coords, done) {
      const tile = L.DomUtil.create('canvas', 'leaflet-tile'), size = this.getTileSize(), dpr = window.devicePixelRatio || 1;
      tile.width = size.x * dpr; tile.height = size.y * dpr;
      tile.style.width = size.x + 'px'; tile.style.height = size.y + 'px';
      fetch('tiles/' + encodeURIComponent(collection) + '/' + coords.z + '/' + coords.x + '/' + coords.y + '.mvt' + query)
        .then((r) => { if (!r.ok) { throw new Error(r.status + ' ' + r.statusText); } return r.arrayBuffer(); })
        .then((buf) => {
          const ctx = tile.getContext('2d');
          ctx.scale(dpr, dpr);
          for (const layer of decodeTile(buf)) { paint(ctx, layer.features, size.x / layer.extent); }
          done(null, tile);
        })
        .catch((e) => done(e, tile));
      return tile;
    }
  });
  return new Layer({ pane, maxNativeZoom: 15, updateWhenZooming: false, keepBuffer: 1 });
}

// fillFeatures paints the polygons of features (those keep(f) accepts) in one colour,
// even-odd so that holes stay open, with an outline when lineWidth > 0.
export function fillFeatures(ctx, features, scale, keep, style) {
  ctx.beginPath();
  for (const f of features) {
    if (f.type !== 3 || !keep(f)) { continue; }
    for (const ring of f.parts) {
      ring.forEach(([x, y], i) => (i ? ctx.lineTo(x * scale, y * scale) : ctx.moveTo(x * scale, y * scale)));
      ctx.closePath();
    }
  }
  ctx.globalAlpha = style.fillOpacity;
  ctx.fillStyle = style.fill;
  ctx.fill('evenodd');
  if (style.lineWidth > 0) {
    ctx.globalAlpha = style.opacity;
    ctx.strokeStyle = style.fill;
    ctx.lineWidth = style.lineWidth;
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
}
