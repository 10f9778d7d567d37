/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) over a real `dops serve` on a local
 * sandbox environment (the README example plus a static host whose name and labels hold HTML, and a hook that prints
 * HTML). The CLI is the oracle: the environment → group → host → revision cells read from the page equal
 * `dops env status --json`. A deploy started from the page turns its job row `Succeeded` live (from the job's event
 * stream), with each host's lifecycle events; no console error, no dialog, no element made from the data.
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {chromium, type Browser, type Page} from 'playwright-core'
import type {EnvStatus} from '../../src/env/status.js'
import {startServe, type RunningServer} from '../../src/serve/start.js'
import {cleanUpLocalEnv, removeProject} from '../env/local-cleanup.js'
import {dops, json, ROOT} from '../helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const skip = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium): the dashboard's browser test needs it`
const TOKEN = 'dash-test-operate-token-0123456789'
const EVIL_HOST = '<img src=x onerror="window.__pwned=1;alert(1)">'
const EVIL_LABEL = '<script>window.__pwned=2</script>'
const EVIL_COMMAND = "echo '<img src=z onerror=window.__pwned=4>'"
const EVIL_OUTPUT = '<img src=y onerror="window.__pwned=3">hook says <b>hi</b>'

let project = ''
let browser: Browser | undefined
let server: RunningServer | undefined
const serverLog: string[] = []
const run = (args: string[]) => dops(args, {cwd: project})
/** the app's ValidateService script (it prints HTML), and what it says */
const VALIDATE = () => path.join(project, 'app/scripts/validate.sh')
let validateScript = ''

before(async () => {
  if (skip) return
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-dash-'))
  cpSync(path.join(ROOT, 'examples/local'), project, {recursive: true})
  const plan = readFileSync(path.join(project, 'dops.yml'), 'utf8')
    .replace('project: shop', 'project: dashtest')
    // a schedule that does not come due during the test (29 February), whose command holds HTML
    .replace('environments:\n', `schedules:\n  nightly-report:\n    cron: "0 0 29 2 *"\n    env: local\n    run: {command: ${JSON.stringify(EVIL_COMMAND)}, group: web}\nenvironments:\n`)
    // a static group (nothing connects to it: no apps, no handlers) whose host's name and label are HTML
    .replace('    groups:\n', `    groups:\n      edge:\n        hosts:\n          - {name: ${JSON.stringify(EVIL_HOST)}, address: 127.0.0.254, labels: {note: ${JSON.stringify(EVIL_LABEL)}}}\n`)
  writeFileSync(path.join(project, 'dops.yml'), plan)
  validateScript = readFileSync(VALIDATE(), 'utf8').replace('i=0\n', `echo ${shq(EVIL_OUTPUT)}\ni=0\n`)
  writeFileSync(VALIDATE(), validateScript)
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  browser = await chromium.launch({executablePath: CHROMIUM})
})

after(async () => {
  await browser?.close()
  await server?.close()
  if (!project) return
  const problems = await cleanUpLocalEnv({project: 'dashtest', projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

async function serve(publicRead: boolean): Promise<RunningServer> {
  await server?.close()
  server = await startServe({cwd: project, listen: '127.0.0.1:0', publicRead, tokensEnv: `${TOKEN}:operate`, version: 'test', log: (l) => serverLog.push(l)})
  return server
}

/** A page that records every console error, page error and dialog (none may happen). */
async function open(url: string, o: {javaScriptEnabled?: boolean} = {}): Promise<{page: Page; problems: string[]}> {
  const context = await browser!.newContext({javaScriptEnabled: o.javaScriptEnabled ?? true})
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`)
    void d.dismiss()
  })
  await page.goto(url)
  return {page, problems}
}

/** The page's env → group → host → revision cells, in the shape of `dops env status --json`'s. */
async function cells(page: Page): Promise<Array<{group: string; apps: Record<string, string[]>; hosts: Array<{name: string; address: string; revisions: Record<string, string>}>}>> {
  // as text: tsx would wrap a function's inner names in a helper the page does not have
  return page.evaluate(`(() => {
    const text = (e) => ((e && e.textContent) || '').trim()
    return [...document.querySelectorAll('#groups tbody tr')].map((tr) => {
      const group = tr.dataset.group
      const apps = Object.fromEntries([...tr.querySelectorAll('.group-apps .app')].map((a) => [a.dataset.app, [...a.querySelectorAll('code.rev')].map(text)]))
      const hosts = [...document.querySelectorAll('#hosts tbody tr')]
        .filter((h) => text(h.querySelector('.host-group')) === group)
        .map((h) => ({
          name: text(h.querySelector('.host-name')),
          address: text(h.querySelector('.host-address')),
          revisions: Object.fromEntries([...h.querySelectorAll('.host-revision .rev')].map((r) => [r.dataset.app, text(r)])),
        }))
      return {group, apps, hosts}
    })
  })()`)
}

/** What the CLI says, in the same shape. */
async function oracle(): Promise<Awaited<ReturnType<typeof cells>>> {
  const r = await run(['env', 'status', '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const s = json<EnvStatus>(r)
  return s.groups.map((g) => ({
    group: g.group,
    apps: Object.fromEntries(g.apps.map((a) => [a.app, a.revision ? [a.revision] : []])),
    hosts: g.hosts.map((h) => ({name: h.name, address: h.address, revisions: Object.fromEntries(Object.entries(h.revisions).map(([a, v]) => [a, v ?? '-']))})),
  }))
}

/** Nothing made from the data ran or became an element. */
async function inert(page: Page): Promise<void> {
  assert.equal(await page.evaluate(() => (window as unknown as {__pwned?: number}).__pwned), undefined, 'a script from the data ran')
  assert.equal(await page.locator('img, b, main script').count(), 0, 'an element was made from the data')
}

test('--public-read: the server renders the environment into the page (no script needed), every name as text', {skip}, async () => {
  const s = await serve(true)
  const {page, problems} = await open(s.url, {javaScriptEnabled: false})
  const res = await page.request.get(s.url)
  assert.match(res.headers()['content-security-policy'] ?? '', /default-src 'self'.*script-src 'self'/)
  assert.deepEqual(await cells(page), await oracle(), 'the server-rendered cells are what `dops env status --json` says')
  const evil = page.locator('#hosts tbody tr').filter({has: page.locator('.host-group', {hasText: 'edge'})})
  assert.equal(await evil.locator('.host-name').textContent(), EVIL_HOST)
  assert.equal(await evil.locator('.host-labels').textContent(), `note=${EVIL_LABEL}`)
  assert.equal(await page.locator('#auth').isHidden(), true, 'no token asked for reading')
  assert.equal(await page.locator('#envs tbody tr[data-env="local"] .env-name').textContent(), 'local')
  await inert(page)
  // with its script: the same cells, drawn again from the API, and still no error
  const live = await open(s.url)
  await live.page.locator('#jobs-section').waitFor()
  await live.page.waitForFunction(() => document.querySelector('#history')?.childElementCount)
  assert.deepEqual(await cells(live.page), await oracle())
  // schedules, when this server has them (GET /schedules), with their next run and the command as text
  const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {paths: Record<string, unknown>}
  if (doc.paths['/schedules']) {
    const row = live.page.locator('#schedules tr[data-schedule="nightly-report"]')
    await row.waitFor()
    assert.ok(((await row.locator('.schedule-what').textContent()) ?? '').includes(EVIL_COMMAND))
    assert.match((await row.locator('.schedule-next').textContent()) ?? '', /-02-29 00:00:00Z/)
  } else assert.equal(await live.page.locator('#schedules-section').isHidden(), true, 'no schedules part: nothing shown, nothing asked')
  // reading needs no token here, starting a deploy does: the page asks for one and sends nothing
  await live.page.click('#deploy')
  await live.page.locator('#auth-msg', {hasText: 'operate role'}).waitFor()
  assert.equal(await live.page.locator('#jobs tbody tr').count(), 0)
  await inert(live.page)
  assert.deepEqual([...problems, ...live.problems], [])
  await page.context().close()
  await live.page.context().close()
})

test('a deploy failing on one host: its row turns Failed, the failed host is listed first with the event that failed and its output', {skip, timeout: 300_000}, async () => {
  const s = await serve(false)
  const {page, problems} = await open(s.url)
  await page.fill('#token', TOKEN)
  await page.click('#token-form button[type=submit]')
  await page.locator('#hosts tbody tr').first().waitFor()
  writeFileSync(VALIDATE(), validateScript.replace('i=0\n', `[ "$(hostname)" = web-2 ] && { echo ${shq(`web-2 refuses ${EVIL_OUTPUT}`)} >&2; exit 1; }\ni=0\n`))
  await page.selectOption('#deploy-app', 'web')
  await page.click('#deploy')
  const row = page.locator('#jobs tbody tr').first()
  await row.locator('.job-state', {hasText: /Queued|Running|Failed/}).waitFor()
  const id = await row.getAttribute('data-job')
  await page.locator(`#jobs tbody tr[data-job="${id}"] .job-state`, {hasText: 'Failed'}).waitFor({timeout: 240_000})
  const panel = page.locator(`.live-job[data-job="${id}"]`)
  await panel.locator('.badge', {hasText: 'Failed'}).waitFor()
  const hosts = panel.locator('tbody tr[data-host]')
  assert.equal(await hosts.first().getAttribute('data-host'), 'web-2', 'the failed host comes first')
  assert.match((await hosts.first().locator('td.live-status').textContent()) ?? '', /fail/)
  assert.match((await hosts.first().locator('td.hook[data-event="ValidateService"]').textContent()) ?? '', /^failed /)
  assert.match((await hosts.nth(1).locator('td.hook[data-event="ValidateService"]').textContent()) ?? '', /^ok /)
  // then the hosts the core rolled back to the revision before: their events on a row of their own
  const result = ((await (await fetch(`${s.url}/jobs/${id}`, {headers: {authorization: `Bearer ${TOKEN}`}})).json()) as {job: {result: {rollback?: {results: Array<{host: string}>}}}}).job.result
  const rolledBack = (result.rollback?.results ?? []).map((r) => r.host).sort()
  assert.deepEqual(rolledBack, ['web-1', 'web-2'], 'the failed deployment was rolled back on both hosts')
  for (const h of rolledBack) assert.match((await panel.locator(`tr[data-rollback="${h}"] td.hook[data-event="ValidateService"]`).textContent()) ?? '', /^ok /)
  assert.match((await panel.locator('.stopped').textContent()) ?? '', /failure budget/)
  const tails = await panel.locator('.tail-text').allTextContents()
  assert.ok(tails.some((t) => t.includes(`web-2 refuses ${EVIL_OUTPUT}`)), `the failure's output shows as text: ${JSON.stringify(tails)}`)
  await page.locator('#history .deployment').first().locator('.deployment-line', {hasText: /failed/}).waitFor()
  // read again when the job ended: the revision each host runs after the rollback, as the CLI says
  await page.locator('#env-meta .badge', {hasText: /failed/}).waitFor()
  assert.deepEqual(await cells(page), await oracle())
  await inert(page)
  assert.deepEqual(problems, [])
  await page.context().close()
  writeFileSync(VALIDATE(), validateScript)
})

test('with a token: reads, refreshes hosts, deploys (the job row turns Succeeded live with each host\'s hooks), rolls back from the history', {skip, timeout: 300_000}, async () => {
  const s = await serve(false)
  writeFileSync(VALIDATE(), validateScript)
  const shell = await fetch(`${s.url}/?env=local`)
  assert.match(shell.headers.get('content-security-policy') ?? '', /default-src 'self'/)
  assert.doesNotMatch(await shell.text(), /web-1|127\.0\.0\.254|data-host=/, 'without --public-read the server puts no data in the page')
  const js = await fetch(`${s.url}/assets/dashboard.js`)
  assert.equal(js.status, 200)
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/)
  const {page, problems} = await open(`${s.url}/?env=nosuchenv`)
  assert.equal(await page.locator('#auth').isVisible(), true, 'the page asks for a token')
  assert.equal(await page.locator('#hosts tbody tr').count(), 0, 'and shows no data without one')
  await page.fill('#token', TOKEN)
  await page.click('#token-form button[type=submit]')
  await page.locator('#hosts tbody tr').first().waitFor()
  await page.click('#refresh')
  await page.locator('#action-msg', {hasText: 'hosts checked'}).waitFor({timeout: 60_000})
  assert.deepEqual(await cells(page), await oracle(), 'after a refresh the cells are what `dops env status --json` says')

  // a new revision of the app, deployed from the page
  writeFileSync(path.join(project, 'app/site/index.html'), '<h1>shop v2</h1>\n')
  await page.selectOption('#deploy-app', 'web')
  await page.click('#deploy')
  const row = page.locator('#jobs tbody tr').first()
  await row.locator('.job-state', {hasText: /Queued|Running|Succeeded/}).waitFor()
  const id = await row.getAttribute('data-job')
  assert.ok(id, 'the job is listed at once')
  const panel = page.locator(`.live-job[data-job="${id}"]`)
  await panel.locator('.batch-text').waitFor({timeout: 60_000})
  await page.locator(`#jobs tbody tr[data-job="${id}"] .job-state`, {hasText: 'Succeeded'}).waitFor({timeout: 240_000})
  const job = (await (await fetch(`${s.url}/jobs/${id}`, {headers: {authorization: `Bearer ${TOKEN}`}})).json()) as {job: {state: string; result: {deploymentId: string; revision: {id: string}; plan: {batches: unknown[][]}}}}
  assert.equal(job.job.state, 'succeeded', 'the API agrees with the row')
  const report = job.job.result
  // the live panel: batch i/n, each web host's lifecycle events ok with a time, the hook's output as text
  await panel.locator('.badge', {hasText: 'Succeeded'}).waitFor()
  assert.equal(await panel.locator('.batch-text').textContent(), `batch ${report.plan.batches.length}/${report.plan.batches.length} `)
  const hosts = panel.locator('tbody tr[data-host]')
  assert.equal(await hosts.count(), 2)
  for (const ev of ['ApplicationStop', 'ApplicationStart', 'ValidateService']) {
    for (const t of await hosts.locator(`td.hook[data-event="${ev}"]`).allTextContents()) assert.match(t, /^ok \d+(ms|\.\ds)$/, `${ev}: ${t}`)
  }
  const tails = await panel.locator('.tail-text').allTextContents()
  assert.ok(tails.some((t) => t.includes(EVIL_OUTPUT)), `the hook's output shows as text: ${JSON.stringify(tails)}`)

  // when the job ended the page read the environment again: the new revision everywhere, as the CLI says
  const cli = await oracle()
  const web = cli.find((g) => g.group === 'web')!
  assert.deepEqual(web.apps.web, [report.revision.id])
  await page.locator('#hosts tbody tr .rev', {hasText: report.revision.id}).first().waitFor()
  await page.waitForFunction((rev) => [...document.querySelectorAll('#hosts .rev[data-app="web"]')].every((e) => e.textContent === rev), report.revision.id)
  assert.deepEqual(await cells(page), cli)
  const first = page.locator('#history .deployment').first()
  assert.equal(await first.getAttribute('data-deployment'), report.deploymentId)
  assert.match((await first.locator('.deployment-line').textContent()) ?? '', /succeeded/)

  // the revision before is offered back, as a command and a button; the button rolls back through the API
  const before = page.locator('#history .deployment').filter({has: page.locator('button.rollback')}).first()
  const previous = (await before.locator('.deployment-line code.rev').textContent())!
  assert.notEqual(previous, report.revision.id)
  assert.match((await before.locator('.deployment-line').textContent()) ?? '', /succeeded/)
  assert.equal(await before.locator('code.cmd').textContent(), `dops rollback -e local -a web --to ${previous}`)
  assert.equal(await first.locator('button.rollback').count(), 0, 'nothing to roll back to on the running revision')
  await before.locator('button.rollback').click()
  const back = page.locator('#jobs tbody tr').first()
  await back.locator('.job-kind', {hasText: 'rollback'}).waitFor()
  const backId = await back.getAttribute('data-job')
  assert.notEqual(backId, id)
  await page.locator(`#jobs tbody tr[data-job="${backId}"] .job-state`, {hasText: 'Succeeded'}).waitFor({timeout: 240_000})
  const rolled = (await (await fetch(`${s.url}/jobs/${backId}`, {headers: {authorization: `Bearer ${TOKEN}`}})).json()) as {job: {params: {to: string}; result: {kind: string; revision: {id: string; source: string}}}}
  assert.deepEqual([rolled.job.params.to, rolled.job.result.kind], [previous, 'rollback'])
  assert.match(rolled.job.result.revision.source, new RegExp(previous), 'the bundle of the revision before')
  // (a rollback installs that bundle again, under an id of its own)
  await page.locator('#env-meta code.rev', {hasText: rolled.job.result.revision.id}).waitFor()
  await page.waitForFunction((rev) => [...document.querySelectorAll('#hosts .rev[data-app="web"]')].every((e) => e.textContent === rev), rolled.job.result.revision.id)
  assert.deepEqual(await cells(page), await oracle(), 'rolled back: the cells are what the CLI says')
  await inert(page)
  assert.deepEqual(problems, [])
  await page.context().close()
})
