/**
 * The page's script, part 1 of 3 (plain browser JavaScript kept as text; no bundler): helpers, the REST calls with the
 * bearer token (sessionStorage), and the job event stream read with fetch() (EventSource cannot send a header).
 * Data only ever reaches the page through textContent and attribute setters, never as HTML. No backquote or
 * dollar-brace in here (the text is a String.raw template).
 */
export const CLIENT_CORE = String.raw`
var boot = {};
try { boot = JSON.parse(document.getElementById('dops-boot').textContent || '{}') || {}; } catch (e) { boot = {}; }
var state = {env: boot.env, token: sessionStorage.getItem('dops.token') || '', envData: boot.envData, jobs: [], live: {}, streams: {}, routes: null};
var TERMINAL = ['succeeded', 'failed', 'cancelled', 'interrupted', 'skipped', 'superseded'];

function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function add(parent) { for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]); return parent; }
function td(cls, content) {
  var c = el('td', cls);
  if (content instanceof Node) c.appendChild(content); else if (content !== undefined && content !== null) c.textContent = String(content);
  return c;
}
function badge(cls, text) { return el('span', 'badge ' + cls, text); }
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
function when(iso) {
  if (!iso) return '-';
  var t = Date.parse(iso);
  return isNaN(t) ? String(iso) : new Date(t).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}
function duration(ms) {
  if (ms === undefined || ms === null || !isFinite(ms)) return '-';
  if (ms < 1000) return Math.round(ms) + 'ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + 's';
  var s = Math.round(ms / 1000);
  return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
}
function titleCase(s) { s = String(s || ''); return s.charAt(0).toUpperCase() + s.slice(1); }
/** A job.state event's state, whatever its shape ({state}, {job: {state}}, {to}). */
function jobStateOf(d) { return d && typeof d === 'object' ? (d.state || (d.job && d.job.state) || d.to || '') : String(d || ''); }
function showError(msg) { var e = $('error'); e.textContent = msg || ''; e.hidden = !msg; }
function say(msg) { $('action-msg').textContent = msg || ''; }

function authHeaders(extra) {
  var h = extra || {};
  if (state.token) h.authorization = 'Bearer ' + state.token;
  return h;
}

function needToken(message) {
  $('auth').hidden = false;
  $('auth-msg').textContent = message;
  $('logout').hidden = !state.token;
}

/** One REST call: JSON in and out; a refused token shows the token form; an error answer becomes an Error. */
async function api(path, opts) {
  opts = opts || {};
  var headers = authHeaders({accept: 'application/json'});
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  var res = await fetch(path, {method: opts.method || 'GET', headers: headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body)});
  var text = await res.text();
  var data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    if (res.status === 401) needToken(state.token ? 'The server refused this token.' : boot.publicRead ? 'This needs a token with the operate role (kept in this tab only).' : 'This server needs a token to read (kept in this tab only).');
    var err = new Error((data && data.error && data.error.message) || ('HTTP ' + res.status));
    err.status = res.status;
    throw err;
  }
  return data;
}

/** Which routes this server has (its OpenAPI document): the parts not running are left out, never asked. */
async function routes() {
  if (state.routes) return state.routes;
  try {
    var doc = await api('/openapi.json');
    state.routes = Object.keys((doc && doc.paths) || {});
  } catch (e) {
    state.routes = [];
  }
  return state.routes;
}
async function has(path) { return (await routes()).indexOf(path) >= 0; }

function parseFrame(frame) {
  var ev = {type: 'message', data: '', seq: 0};
  frame.split('\n').forEach(function (line) {
    if (!line || line.charAt(0) === ':') return;
    var c = line.indexOf(':');
    var k = c < 0 ? line : line.slice(0, c);
    var v = c < 0 ? '' : line.slice(c + 1);
    if (v.charAt(0) === ' ') v = v.slice(1);
    if (k === 'event') ev.type = v;
    else if (k === 'data') ev.data += (ev.data ? '\n' : '') + v;
    else if (k === 'id') ev.seq = Number(v) || 0;
  });
  if (!ev.data) return null;
  try { ev.data = JSON.parse(ev.data); } catch (e) { /* text */ }
  return ev;
}

/** Follows a job's events (replaying after the last one seen when the stream drops) until its terminal state. */
async function follow(id) {
  if (state.streams[id]) return;
  var s = state.streams[id] = {after: 0, ended: false};
  for (var tries = 0; tries < 30 && !s.ended; tries++) {
    try {
      var res = await fetch('/jobs/' + encodeURIComponent(id) + '/events?after=' + s.after, {headers: authHeaders({accept: 'text/event-stream'})});
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      var reader = res.body.getReader();
      var dec = new TextDecoder();
      var buf = '';
      for (;;) {
        var r = await reader.read();
        if (r.done) break;
        buf += dec.decode(r.value, {stream: true});
        buf = buf.replace(/\r\n/g, '\n');
        var i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          var ev = parseFrame(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (!ev) continue;
          if (ev.seq) s.after = ev.seq;
          onJobEvent(id, ev.type, ev.data);
          if (ev.type === 'job.state' && TERMINAL.indexOf(jobStateOf(ev.data)) >= 0) s.ended = true;
        }
        if (buf.length > 4000000) buf = '';
      }
    } catch (e) {
      if (e && e.status === 401) return;
    }
    if (!s.ended) await sleep(1000);
  }
}
`
