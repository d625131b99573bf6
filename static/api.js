// api.js: JSON requests to the server's /api/v1, for both pages.

// request sends a request and resolves to {status, statusText, body, json}: body is the parsed
// JSON answer (json true), {error: the first 300 characters} for an answer that is not JSON, or
// null for an empty one. It never rejects: a network failure is status 0 with the browser's
// message as statusText and a null body.
export async function request(path, { method = 'GET', headers = {}, body, cache } = {}) {
  try {
    const r = await fetch(path, { method, headers: { Accept: 'application/json, application/geo+json', ...headers }, body, cache });
    const text = await r.text();
    let parsed = null, json = true;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { error: text.slice(0, 300) }; json = false; }
    return { status: r.status, statusText: r.statusText, body: parsed, json };
  } catch (e) {
    return { status: 0, statusText: e.message, body: null, json: false };
  }
}

// getJSON GETs path and resolves to its JSON answer; it rejects with the server's error message
// (else the HTTP status, else the network failure) unless the answer is a 2xx with JSON.
export async function getJSON(path) {
  const r = await request(path);
  if (r.status < 200 || r.status > 299 || !r.json) {
    throw new Error((r.body && r.body.error) || (r.status ? r.status + ' ' + r.statusText : r.statusText));
  }
  return r.body;
}
