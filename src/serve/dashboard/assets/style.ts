/** The dashboard's style sheet (served as /assets/dashboard.css). */
export const DASHBOARD_CSS = String.raw`
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1em; background: #24292f; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 1.2em; margin: 0; }
header #version, header #leader { color: #c9d1d9; font-size: .9em; }
header #logout { margin-left: auto; }
main { padding: 0 1em 2em; }
section { margin-top: 1.2em; }
h2 { font-size: 1.1em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
h3 { font-size: 1em; margin: .8em 0 .3em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
tr.current td { background: #ddf4ff; }
code, pre { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--bg); padding: .4em; max-height: 16em; overflow: auto; white-space: pre-wrap; word-break: break-all; margin: .2em 0; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45em; border-radius: 1em; font-size: .85em; border: 1px solid var(--line); }
.badge.healthy, .badge.st-succeeded, .badge.st-up-to-date { color: var(--ok); border-color: var(--ok); }
.badge.unhealthy, .badge.st-failed, .badge.st-failed-rolled-back, .badge.st-aborted, .badge.st-interrupted { color: var(--bad); border-color: var(--bad); }
.badge.st-running, .badge.st-queued { color: #0969da; border-color: #0969da; }
.badge.mixed { color: var(--warn); border-color: var(--warn); font-weight: 600; }
.badge.unknown, .badge.st-skipped, .badge.st-superseded, .badge.st-cancelled { color: var(--muted); }
.label { display: inline-block; background: var(--bg); border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; font-size: .85em; }
.lock { color: var(--warn); font-weight: 600; }
.short { color: var(--bad); font-weight: 600; }
.stale { color: var(--muted); font-style: italic; }
.actions { display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
#error { color: var(--bad); padding: .5em 1em; margin: 0; }
#auth { padding: .6em 1em; background: #fff8c5; }
.live-job { border: 1px solid var(--line); border-radius: 6px; padding: .5em; margin: .6em 0; }
.live-title { font-weight: 600; margin-bottom: .3em; }
.batch { margin: .2em 0; }
td.hook.ok { color: var(--ok); }
td.hook.failed { color: var(--bad); font-weight: 600; }
td.hook.running { color: #0969da; }
tr.rollback-row td { font-size: .9em; border-bottom-style: dotted; }
.stopped { color: var(--bad); margin: .2em 0; }
.rollback-line { margin: .2em 0; font-size: .9em; }
code.cmd { background: var(--bg); padding: 0 .3em; }
.deployment { margin: .5em 0; padding: .3em 0; border-bottom: 1px dashed var(--line); }
.phase-row { display: flex; align-items: center; gap: .5em; margin: .15em 0; }
.phase-host { width: 16em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: .9em; }
.bar { flex: 1; display: flex; height: .9em; background: var(--bg); border-radius: 2px; overflow: hidden; }
.seg { height: 100%; min-width: 1px; }
/* one colour per lifecycle event (BeforeBlockTraffic … AfterAllowTraffic), then any other */
.c0 { background: #b6e3ff; }
.c1 { background: #0969da; }
.c2 { background: #54aeff; }
.c3 { background: #c297ff; }
.c4 { background: #8250df; }
.c5 { background: #fff8c5; }
.c6 { background: #d4a72c; }
.c7 { background: #bf8700; }
.c8 { background: #4ac26b; }
.c9 { background: #1a7f37; }
.c10 { background: #6fdde6; }
.c11 { background: #ffcecb; }
.c12 { background: #ff8182; }
.c13 { background: #fa4549; }
.c14 { background: #8c959f; }
.seg.failed { background: var(--bad); outline: 1px solid #82071e; }
.legend { display: flex; flex-wrap: wrap; gap: .2em .6em; align-items: center; font-size: .8em; color: var(--muted); margin: .2em 0; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: -.3em; }
`

/** The page's icon (a browser asks for one; without it, a 404 in the console). */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#24292f"/><path d="M4 4h4a4 4 0 0 1 0 8H4z" fill="#54aeff"/></svg>\n'
