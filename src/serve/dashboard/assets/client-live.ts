/**
 * The page's script, part 3 of 3: live jobs (batch progress, each host's lifecycle events with their status and time,
 * failures first, output tails), loading everything, polling the job list, the buttons and the token form.
 */
export const CLIENT_LIVE = String.raw`
var MAX_LINES = 200;

function liveOf(id) {
  if (!state.live[id]) {
    state.live[id] = {id: id, state: '', batch: null, hooks: [], hosts: {}, order: [], log: []};
    var ids = Object.keys(state.live);
    // bounded: the panels of the last jobs only
    ids.slice(0, Math.max(0, ids.length - 10)).forEach(function (old) { if (TERMINAL.indexOf(state.live[old].state) >= 0) delete state.live[old]; });
  }
  return state.live[id];
}
function hostOf(l, name) {
  if (!l.hosts[name]) { l.hosts[name] = {events: {}, rollback: null, ended: false, status: '', tail: []}; l.order.push(name); }
  return l.hosts[name];
}
/** The hooks' columns in lifecycle order; an event the page does not know goes last. */
function addHook(l, k) {
  if (l.hooks.indexOf(k) >= 0) return;
  l.hooks.push(k);
  l.hooks.sort(function (a, b) { return lifecycleIndex(a) - lifecycleIndex(b); });
}
function pushLine(list, line) { list.push(String(line)); if (list.length > MAX_LINES) list.splice(0, list.length - MAX_LINES); }

function onJobEvent(id, type, d) {
  var l = liveOf(id);
  d = d || {};
  if (type === 'deploy.plan' && d.report) {
    ((d.report.plan && d.report.plan.hooks) || []).forEach(function (k) { addHook(l, k); });
    var from = [];
    ((d.report.plan && d.report.plan.batches) || []).forEach(function (b) { b.forEach(function (h) { hostOf(l, h.host); if (h.from && from.indexOf(h.from) < 0) from.push(h.from); }); });
    l.what = d.report.app + ' ' + (from.length ? from.join(', ') + ' → ' : '') + (d.report.revision && d.report.revision.id || '');
  } else if (type === 'batch.start') {
    l.batch = {index: d.index, total: d.total};
    (d.hosts || []).forEach(function (h) { hostOf(l, h).status = 'running'; });
  } else if (type === 'batch.end') {
    if (l.batch) l.batch.done = d.index;
  } else if (type === 'deploy.event') {
    var h = hostOf(l, d.host);
    // a host's events after its end belong to the rollback of a failed deployment
    var into = h.ended ? (h.rollback = h.rollback || {}) : h.events;
    into[d.event] = {state: d.state, ok: d.ok, ms: d.ms};
    addHook(l, d.event);
  } else if (type === 'host.end' && d.result) {
    var r = d.result;
    var hr = hostOf(l, r.host);
    hr.status = r.status;
    hr.ended = true;
    hr.tail = [];
    (r.events || []).forEach(function (e) {
      if (e.ms !== undefined && !hr.events[e.event]) hr.events[e.event] = {state: 'end', ok: e.status !== 'failed', ms: e.ms};
      (e.tail || []).forEach(function (t) { pushLine(hr.tail, e.event + ': ' + t); });
    });
    (r.outputTail || []).forEach(function (t) { pushLine(hr.tail, t); });
    if (r.error) pushLine(hr.tail, r.error);
  } else if (type === 'host.output') {
    pushLine(hostOf(l, d.host).tail, d.line);
  } else if (type === 'run.stopped') {
    l.stopped = d.message || d.reason;
  } else if (type === 'job.log') {
    pushLine(l.log, d.line !== undefined ? d.line : JSON.stringify(d));
  } else if (type === 'env.step') {
    if (d.state === 'end') pushLine(l.log, d.text + (d.ok === false ? ' failed' : ' done') + (d.ms !== undefined ? ' (' + duration(d.ms) + ')' : ''));
  } else if (type === 'job.state') {
    var st = jobStateOf(d);
    l.state = st;
    state.jobs.forEach(function (j) { if (j.id === id) { j.state = st; if (TERMINAL.indexOf(st) >= 0 && !j.endedAt) j.endedAt = new Date().toISOString(); if (st === 'running' && !j.startedAt) j.startedAt = new Date().toISOString(); } });
    renderJobs();
    if (TERMINAL.indexOf(st) >= 0) {
      if (state.started === id) say('job ' + id + ' ' + st);
      setTimeout(function () { Promise.all([loadEnvs(), loadEnv(), loadHistory(), loadJobs()]).catch(function (e) { showError('Could not load: ' + e.message); }); }, 200);
    }
  }
  scheduleLive();
}

function hookCells(tr, hooks, events) {
  hooks.forEach(function (k) {
    var e = events[k];
    var c = td('hook' + (e ? (e.state === 'start' ? ' running' : e.ok === false ? ' failed' : ' ok') : ''), e ? (e.state === 'start' ? 'running' : (e.ok === false ? 'failed ' : 'ok ') + duration(e.ms)) : '');
    c.dataset.event = k;
    tr.appendChild(c);
  });
}

var liveTimer = null;
function scheduleLive() { if (!liveTimer) liveTimer = setTimeout(function () { liveTimer = null; renderLive(); }, 100); }

function renderLive() {
  var box = clear($('live'));
  Object.keys(state.live).slice(-3).reverse().forEach(function (id) {
    var l = state.live[id];
    var job = state.jobs.find(function (j) { return j.id === id; }) || {id: id, kind: '', state: l.state};
    var panel = el('div', 'live-job');
    panel.dataset.job = id;
    var title = add(el('div', 'live-title'), el('code', '', id), document.createTextNode(' ' + (job.kind || '') + ' ' + (l.what || jobWhat(job)) + ' '), badge('st-' + (l.state || job.state), titleCase(l.state || job.state)));
    panel.appendChild(title);
    if (l.batch) {
      var p = el('progress', 'batch-progress');
      p.max = l.batch.total || 1;
      p.value = l.batch.done || Math.max(0, (l.batch.index || 1) - 1);
      add(panel, add(el('div', 'batch'), el('span', 'batch-text', 'batch ' + l.batch.index + '/' + l.batch.total + ' '), p));
    }
    var names = l.order.slice().sort(function (a, b) {
      var fa = /fail|unreach|timed/.test(l.hosts[a].status) ? 0 : 1, fb = /fail|unreach|timed/.test(l.hosts[b].status) ? 0 : 1;
      return fa - fb;
    });
    if (names.length) {
      var table = el('table', 'live-hosts');
      var head = add(el('tr'), el('th', '', 'host'), el('th', '', 'status'));
      l.hooks.forEach(function (k) { head.appendChild(el('th', '', k)); });
      add(table, add(el('thead'), head));
      var tb = el('tbody');
      names.forEach(function (n) {
        var h = l.hosts[n];
        var tr = el('tr');
        tr.dataset.host = n;
        add(tr, td('live-host', n), td('live-status', h.status || 'waiting'));
        hookCells(tr, l.hooks, h.events);
        tb.appendChild(tr);
        if (h.rollback) {
          var rb = el('tr', 'rollback-row');
          rb.dataset.rollback = n;
          add(rb, td('live-host muted', '↳ rollback'), td('live-status', ''));
          hookCells(rb, l.hooks, h.rollback);
          tb.appendChild(rb);
        }
        if (h.tail.length) {
          var tr2 = el('tr', 'tail-row');
          var cell = td('tail', add(el('details'), el('summary', '', 'output of ' + n), el('pre', 'tail-text', h.tail.slice(-20).join('\n'))));
          cell.colSpan = 2 + l.hooks.length;
          tb.appendChild(add(tr2, cell));
        }
      });
      panel.appendChild(add(table, tb));
    }
    if (l.stopped) panel.appendChild(el('p', 'stopped', l.stopped));
    if (l.log.length) panel.appendChild(el('pre', 'job-log', l.log.slice(-20).join('\n')));
    box.appendChild(panel);
  });
}

async function loadEnvs() {
  var v = await api('/envs');
  var names = ((v && v.envs) || []).map(function (e) { return e.name; });
  // an environment the server does not have (an old link): the first one
  if (names.indexOf(state.env) < 0) state.env = names[0];
  renderEnvs(v);
}
async function loadEnv(refresh) {
  if (!state.env) return;
  renderEnv(await api('/envs/' + encodeURIComponent(state.env) + (refresh ? '?refresh=1' : '')));
}
async function loadJobs() {
  if (!state.env) return;
  var v = await api('/jobs?env=' + encodeURIComponent(state.env) + '&limit=20');
  state.jobs = (v && v.jobs) || [];
  renderJobs();
  state.jobs.forEach(function (j) { if (j.state === 'running' || j.state === 'queued') { liveOf(j.id); follow(j.id); } });
}
async function loadHistory() {
  if (!state.env) return;
  var v = await api('/envs/' + encodeURIComponent(state.env) + '/deployments?limit=10');
  renderHistory((v && v.deployments) || []);
}
async function loadSchedules() {
  if (!(await has('/schedules'))) return;
  var v = await api('/schedules');
  renderSchedules(((v && v.schedules) || []).filter(function (s) { return !state.env || !s.env || s.env === state.env; }));
}
async function loadLeader() {
  try {
    var h = await api('/health');
    if (h && h.version) $('version').textContent = 'dops ' + h.version;
    if (h && !$('leader').textContent) $('leader').textContent = h.leader ? 'this server is the leader' : 'not the leader';
  } catch (e) { /* shown by the others */ }
}

async function loadAll() {
  try {
    await loadEnvs();
    await Promise.all([loadEnv(), loadJobs(), loadHistory(), loadSchedules(), loadLeader()]);
    showError('');
    $('auth').hidden = true;
    $('logout').hidden = !state.token;
    return true;
  } catch (e) {
    if (e.status !== 401) showError('Could not load: ' + e.message);
    return false;
  }
}

$('token-form').addEventListener('submit', function (ev) {
  ev.preventDefault();
  state.token = $('token').value.trim();
  $('token').value = '';
  sessionStorage.setItem('dops.token', state.token);
  loadAll();
});
$('logout').addEventListener('click', function () {
  sessionStorage.removeItem('dops.token');
  state.token = '';
  needToken('Token forgotten.');
});
$('refresh').addEventListener('click', async function () {
  say('checking the hosts…');
  try { await loadEnv(true); say('hosts checked'); } catch (e) { say('refresh failed: ' + e.message); }
});
/** Starts a job (deploy, rollback) with the operate token, lists it at once and follows its events. */
async function startJob(what, path, body) {
  if (!state.token) { needToken('Starting a ' + what + ' needs a token with the operate role (kept in this tab only).'); return; }
  say('starting a ' + what + ' of ' + body.app + '…');
  try {
    var r = await api(path, {method: 'POST', body: body});
    var job = r && r.job;
    if (!job) throw new Error('no job in the answer');
    say('job ' + job.id + ' ' + job.state);
    state.started = job.id;
    state.jobs = [job].concat(state.jobs.filter(function (j) { return j.id !== job.id; }));
    renderJobs();
    liveOf(job.id);
    follow(job.id);
  } catch (e) { say(what + ' refused: ' + e.message); }
}
$('deploy').addEventListener('click', function () {
  var app = $('deploy-app').value;
  if (app && state.env) startJob('deploy', '/envs/' + encodeURIComponent(state.env) + '/deploy', {app: app});
});
$('history').addEventListener('click', function (ev) {
  var b = ev.target;
  if (!(b instanceof HTMLButtonElement) || !b.dataset.rollbackTo || !state.env) return;
  startJob('rollback', '/envs/' + encodeURIComponent(state.env) + '/rollback', {app: b.dataset.app, to: b.dataset.rollbackTo});
});

setInterval(function () { if (state.token || boot.publicRead) loadJobs().catch(function () {}); }, 5000);
if (state.token || boot.publicRead) loadAll(); else needToken('This server needs a token to read (kept in this tab only).');
`
