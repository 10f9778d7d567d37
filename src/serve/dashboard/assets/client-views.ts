/**
 * The page's script, part 2 of 3: the tables drawn again from the REST API's answers (the same ids and classes as the
 * server's first rendering, src/serve/dashboard/render-env.ts): environments, groups, hosts, jobs, deployments with
 * their lifecycle phases as bars, schedules. Text only through textContent.
 */
export const CLIENT_VIEWS = String.raw`
var STALE_MS = 5 * 60000;
var LIFECYCLE = ['BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic', 'ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall',
  'ApplicationStart', 'ValidateService', 'HealthCheck', 'BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'];
function lifecycleIndex(k) { var i = LIFECYCLE.indexOf(k); return i < 0 ? LIFECYCLE.length : i; }
/** one colour per lifecycle event, the same in every bar and legend */
function eventColour(k) { return 'c' + lifecycleIndex(k); }

function hostHealth(h) {
  var all = Object.values(h.health || {}).filter(function (x) { return x && typeof x === 'object'; });
  if (all.some(function (x) { return x.healthy === false; })) return 'unhealthy';
  return all.length && all.every(function (x) { return x.healthy === true; }) ? 'healthy' : 'unknown';
}
function groupHealth(g) {
  var hs = (g.hosts || []).map(hostHealth);
  if (hs.indexOf('unhealthy') >= 0) return 'unhealthy';
  return hs.length && hs.every(function (x) { return x === 'healthy'; }) ? 'healthy' : 'unknown';
}
function lastDeployment(d) {
  var span = el('span');
  if (!d) return add(span, el('span', 'muted', 'none'));
  var rev = el('code', 'rev', d.revision);
  return add(span, document.createTextNode(String(d.app) + ' '), badge('st-' + d.status, d.status), document.createTextNode(' '), rev, document.createTextNode(' '), el('span', 'muted', when(d.startedAt)));
}
function lockNode(l) { return l ? el('span', 'lock', 'locked by ' + (l.holder || '?')) : el('span', 'muted', 'free'); }

function renderEnvs(v) {
  if (v && v.project) $('project').textContent = v.project;
  var body = clear($('envs').tBodies[0]);
  ((v && v.envs) || []).forEach(function (e) {
    var tr = el('tr');
    tr.dataset.env = e.name;
    if (e.name === state.env) tr.className = 'current';
    var a = el('a', '', e.name);
    a.href = '?env=' + encodeURIComponent(e.name);
    add(tr, td('env-name', a), td('env-health', badge(e.health || 'unknown', e.health || 'unknown')), td('env-groups', e.groups === undefined ? '-' : e.groups),
      td('env-hosts', e.hosts === undefined ? '-' : e.hosts), td('env-last', lastDeployment(e.lastDeployment)), td('env-lock', lockNode(e.locked)));
    body.appendChild(tr);
  });
}

function renderEnv(v) {
  state.envData = v;
  $('env-name').textContent = v ? v.env : '';
  var meta = clear($('env-meta'));
  if (v) {
    add(meta, document.createTextNode('hosts checked: ' + when(v.checkedAt) + ' · lock: '), lockNode(v.locked), document.createTextNode(' · last deployment: '), lastDeployment(v.lastDeployment));
    if (v.lastDeployment) meta.appendChild(document.createTextNode(' (' + duration(v.lastDeployment.durationMs) + ')'));
  }
  var groups = clear($('groups').tBodies[0]);
  var hosts = clear($('hosts').tBodies[0]);
  var apps = [];
  ((v && v.groups) || []).forEach(function (g) {
    var tr = el('tr');
    tr.dataset.group = g.group;
    var actual = g.actual !== undefined ? g.actual : (g.hosts || []).length;
    var appsCell = el('td', 'group-apps');
    (g.apps || []).forEach(function (a) {
      if (apps.indexOf(a.app) < 0) apps.push(a.app);
      var d = el('div', 'app', a.app + ': ');
      d.dataset.app = a.app;
      var revs = a.revisions && a.revisions.length ? a.revisions : a.revision ? [a.revision] : [];
      if (!revs.length) d.appendChild(el('span', 'muted', 'none'));
      revs.forEach(function (r, i) { if (i) d.appendChild(document.createTextNode(' ')); d.appendChild(el('code', 'rev', r)); });
      if (a.mixed) add(d, document.createTextNode(' '), badge('mixed', 'mixed revisions'));
      appsCell.appendChild(d);
    });
    var health = groupHealth(g);
    var count = td('group-count' + (g.desired !== undefined && actual !== g.desired ? ' short' : ''), actual + ' / ' + (g.desired === undefined ? '-' : g.desired));
    add(tr, td('group-name', g.group), td('group-provider', g.provider), count, appsCell, td('group-health', badge(health, health)));
    groups.appendChild(tr);
    (g.hosts || []).forEach(function (h) { hosts.appendChild(hostRow(h, g.group, v.checkedAt)); });
  });
  var sel = $('deploy-app');
  if (apps.join('\n') !== Array.from(sel.options).map(function (o) { return o.value; }).join('\n')) {
    clear(sel);
    apps.forEach(function (a) { var o = el('option', '', a); o.value = a; sel.appendChild(o); });
  }
}

function hostRow(h, group, envCheckedAt) {
  var tr = el('tr');
  tr.dataset.host = h.name;
  var labels = el('td', 'host-labels');
  Object.keys(h.labels || {}).filter(function (k) { return k !== 'group' && k !== 'env'; }).forEach(function (k, i) {
    if (i) labels.appendChild(document.createTextNode(' '));
    labels.appendChild(el('span', 'label', k + '=' + h.labels[k]));
  });
  var revs = el('td', 'host-revision');
  Object.keys(h.revisions || {}).forEach(function (app, i) {
    if (i) revs.appendChild(document.createTextNode(' '));
    var s = el('span', 'rev', h.revisions[app] || '-');
    s.dataset.app = app;
    revs.appendChild(s);
  });
  var health = hostHealth(h);
  var hc = td('host-health', badge(health, health));
  hc.title = Object.keys(h.health || {}).filter(function (a) { return h.health[a] && h.health[a].reason; }).map(function (a) { return a + ': ' + h.health[a].reason; }).join('; ');
  var checked = h.checkedAt || envCheckedAt;
  var stale = !checked || Date.now() - Date.parse(checked) > STALE_MS;
  add(tr, td('host-name', h.name), td('host-address', h.address), td('host-group', h.group || group), labels, td('host-state', h.state), revs, hc,
    td('host-checked' + (stale ? ' stale' : ''), when(checked)));
  return tr;
}

function jobWhat(j) {
  var p = j.params || {};
  if (p.app) return p.app + (p.revision ? ' @ ' + p.revision : p.commit ? ' @ ' + String(p.commit).slice(0, 12) : p.to ? ' to ' + p.to : '');
  if (p.command) return p.command;
  if (p.script) return p.script;
  if (p.groups) return Object.keys(p.groups).map(function (g) { return g + '=' + p.groups[g]; }).join(' ');
  return j.env;
}
function jobTrigger(j) {
  var t = j.trigger || {};
  var s = (t.type || '') + (t.by ? ' ' + t.by : '');
  if (t.commit) s += ' ' + String(t.commit).slice(0, 12) + (t.message ? ' ' + String(t.message).split('\n')[0] : '');
  if (t.delivery) s += ' (delivery ' + t.delivery + ')';
  return s;
}
function jobRow(j) {
  var tr = el('tr');
  tr.dataset.job = j.id;
  var took = j.startedAt ? (j.endedAt ? Date.parse(j.endedAt) : Date.now()) - Date.parse(j.startedAt) : undefined;
  var st = td('job-state', badge('st-' + j.state, titleCase(j.state)));
  if (j.reason || j.error) st.title = j.reason || (j.error && j.error.message) || '';
  add(tr, td('job-id', j.id), td('job-kind', j.kind), td('job-what', jobWhat(j)), td('job-trigger', jobTrigger(j)), st, td('job-started', when(j.startedAt || j.createdAt)), td('job-took', duration(took)));
  return tr;
}
function renderJobs() {
  var body = clear($('jobs').tBodies[0]);
  state.jobs.forEach(function (j) { body.appendChild(jobRow(j)); });
}

/** One deployment: its line, then one bar per host whose segments are the lifecycle events' durations. */
function renderHistory(list) {
  var box = clear($('history'));
  if (!list.length) { box.appendChild(el('p', 'muted', 'No deployment yet.')); return; }
  var current = {};
  list.forEach(function (d) { if (current[d.app] === undefined && (d.status === 'succeeded' || d.status === 'up-to-date')) current[d.app] = d.revision; });
  var offered = {};
  list.forEach(function (d) {
    var item = el('div', 'deployment');
    item.dataset.deployment = d.deploymentId;
    add(item, add(el('div', 'deployment-line'), el('code', '', d.deploymentId), document.createTextNode(' ' + d.app + ' '), badge('st-' + d.status, d.status),
      document.createTextNode(' '), el('code', 'rev', d.revision), el('span', 'muted', ' ' + when(d.startedAt) + ' · ' + duration(d.durationMs) + ' · ' + (d.ok || 0) + ' ok, ' + (d.failed || 0) + ' failed')));
    // an earlier good revision: the command that goes back to it, and a button that asks the API to
    if (d.status === 'succeeded' && current[d.app] !== undefined && d.revision !== current[d.app] && !offered[d.app + ' ' + d.revision]) {
      offered[d.app + ' ' + d.revision] = true;
      var b = el('button', 'rollback', 'Roll back to this');
      b.type = 'button';
      b.dataset.app = d.app;
      b.dataset.rollbackTo = d.revision;
      add(item, add(el('div', 'rollback-line'), el('code', 'cmd', 'dops rollback -e ' + state.env + ' -a ' + d.app + ' --to ' + d.revision), document.createTextNode(' '), b));
    }
    var hosts = d.hosts || [];
    var seen = [];
    hosts.forEach(function (h) { (h.events || []).forEach(function (e) { if (seen.indexOf(e.event) < 0) seen.push(e.event); }); });
    if (seen.length) {
      var legend = el('div', 'legend');
      seen.sort(function (a, b) { return lifecycleIndex(a) - lifecycleIndex(b); }).forEach(function (k) { add(legend, el('span', 'swatch ' + eventColour(k)), el('span', 'legend-text', k)); });
      item.appendChild(legend);
    }
    var max = 1;
    hosts.forEach(function (h) { var t = (h.events || []).reduce(function (a, e) { return a + (e.ms || 0); }, 0); if (t > max) max = t; });
    hosts.forEach(function (h) {
      var row = el('div', 'phase-row');
      row.dataset.host = h.host;
      var bar = el('div', 'bar');
      (h.events || []).forEach(function (e) {
        var seg = el('span', 'seg ' + eventColour(e.event) + (e.ok === false ? ' failed' : ''));
        seg.dataset.event = e.event;
        seg.style.width = Math.max(0.5, (100 * (e.ms || 0)) / max) + '%';
        seg.title = e.event + ': ' + duration(e.ms) + (e.ok === false ? ' (failed)' : '');
        bar.appendChild(seg);
      });
      add(row, el('span', 'phase-host', h.host + ' (' + h.status + ')'), bar);
      item.appendChild(row);
    });
    box.appendChild(item);
  });
}

function renderSchedules(list) {
  var body = clear($('schedules').tBodies[0]);
  list.forEach(function (s) {
    var tr = el('tr');
    tr.dataset.schedule = s.name;
    var what = s.what && typeof s.what === 'object' ? JSON.stringify(s.what) : s.what;
    var last = s.last ? (s.last.state + ' ' + when(s.last.at)) : '-';
    add(tr, td('schedule-name', s.name), td('schedule-cron', s.cron + (s.timezone ? ' (' + s.timezone + ')' : '')), td('schedule-what', (s.env ? s.env + ': ' : '') + what),
      td('schedule-next', (s.next || []).slice(0, 3).map(when).join(', ') || '-'), td('schedule-last', last), td('schedule-enabled', s.enabled === false ? 'no' : 'yes'));
    body.appendChild(tr);
  });
  $('schedules-section').hidden = !list.length;
}
`
