/**
 * The page shell, rendered on the server: header, token form, the environment tables (filled when the server could
 * read them: `--public-read`), empty sections the script fills (jobs, deployments, schedules), and the boot data as
 * an inert JSON block. No inline script or style (the Content-Security-Policy forbids both).
 */
import {esc, jsonForScript} from './html.js'
import {appsOf, envMeta, envsRows, groupsRows, hostsRows} from './render-env.js'
import type {BootData} from './view-types.js'

const head = (cols: string[]) => `<thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>`

function leaderText(b: BootData): string {
  if (!b.leader) return ''
  const h = b.leader.holder
  return b.leader.isLeader ? 'this server is the leader' : h ? `leader: ${h.owner} (lease until ${h.expiresAt})` : 'not the leader'
}

export function renderPage(b: BootData, now = Date.now()): string {
  const project = b.envs?.project ?? b.envData?.project ?? ''
  const apps = appsOf(b.envData)
  const options = apps.map((a) => `<option value="${esc(a)}">${esc(a)}</option>`).join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dops${project ? ' · ' + esc(project) : ''}</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
<header>
<h1>dops <span id="project">${esc(project)}</span></h1>
<span id="version">dops ${esc(b.version)}</span>
<span id="leader">${esc(leaderText(b))}</span>
<button id="logout" type="button" hidden>Forget token</button>
</header>
<section id="auth" ${b.publicRead ? 'hidden' : ''}>
<form id="token-form">
<label>API token <input id="token" type="password" autocomplete="off" required></label>
<button type="submit">Use token</button>
</form>
<p id="auth-msg" class="muted">${b.publicRead ? '' : 'This server needs a token to read (kept in this tab only).'}</p>
</section>
<p id="error" role="alert" hidden></p>
<main>
<section id="envs-section">
<h2>Environments</h2>
<table id="envs">${head(['environment', 'health', 'groups', 'hosts', 'last deployment', 'lock'])}<tbody>${envsRows(b.envs, b.env)}</tbody></table>
</section>
<section id="env-section">
<h2>Environment <span id="env-name">${esc(b.env)}</span></h2>
<div class="actions">
<button id="refresh" type="button">Refresh hosts</button>
<select id="deploy-app" aria-label="app">${options}</select>
<button id="deploy" type="button">Deploy</button>
<span id="action-msg" class="muted"></span>
</div>
<p id="env-meta">${envMeta(b.envData)}</p>
<h3>Groups</h3>
<table id="groups">${head(['group', 'provider', 'hosts (actual / desired)', 'revisions', 'health'])}<tbody>${groupsRows(b.envData)}</tbody></table>
<h3>Hosts</h3>
<table id="hosts">${head(['host', 'address', 'group', 'labels', 'state', 'revision', 'health', 'checked'])}<tbody>${hostsRows(b.envData, now)}</tbody></table>
</section>
<section id="jobs-section">
<h2>Jobs</h2>
<table id="jobs">${head(['job', 'kind', 'what', 'trigger', 'state', 'started', 'took'])}<tbody></tbody></table>
<div id="live"></div>
</section>
<section id="history-section">
<h2>Deployments</h2>
<div id="history"></div>
</section>
<section id="schedules-section" hidden>
<h2>Schedules</h2>
<table id="schedules">${head(['schedule', 'cron', 'what', 'next runs', 'last run', 'enabled'])}<tbody></tbody></table>
</section>
</main>
<script type="application/json" id="dops-boot">${jsonForScript(b)}</script>
<script src="/assets/dashboard.js" defer></script>
</body>
</html>
`
}
