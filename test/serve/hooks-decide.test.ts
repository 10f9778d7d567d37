/**
 * Pure logic of the webhooks: reading GitHub (JSON and form) and GitLab push bodies, matching a push to the apps it
 * triggers (repo case-insensitive, branch, tags, deletions), deciding deploy / no-op / superseded, and the plan's
 * trigger checks (file:line:col, the field, what was expected).
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem, InvalidInputError} from '../../src/errors.js'
import {parsePlan} from '../../src/plan/load.js'
import type {Plan} from '../../src/plan/types.js'
import {decide, matchApps} from '../../src/serve/hooks/decide.js'
import {revisionDir} from '../../src/serve/hooks/deploy-git.js'
import {checkGitUrl, KEEP_CHECKOUTS, pruneCheckouts} from '../../src/serve/hooks/git.js'
import {BadPayload, githubDelivery, gitlabDelivery, parseBody, type Push} from '../../src/serve/hooks/payload.js'
import type {Job} from '../../src/serve/types.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const Z = '0'.repeat(40)

test('GitHub push bodies, JSON or form, read into a push; malformed ones are refused with the reason', () => {
  const body = {ref: 'refs/heads/main', before: A, after: B, deleted: false, commits: [{id: B}], head_commit: {id: B, message: 'v2\n\nlong'}, repository: {full_name: 'Acme/Shop', clone_url: 'https://example.test/acme/shop.git'}, compare: 'https://example.test/c'}
  const json = parseBody(Buffer.from(JSON.stringify(body)), 'application/json; charset=utf-8')
  const form = parseBody(Buffer.from('payload=' + encodeURIComponent(JSON.stringify(body))), 'application/x-www-form-urlencoded')
  assert.deepEqual(json, form)
  const d = githubDelivery('push', json)
  assert.equal(d.event, 'push')
  const p = (d as {push: Push}).push
  assert.deepEqual([p.repo, p.ref, p.before, p.after, p.deleted, p.commits, p.message, p.cloneUrl], ['Acme/Shop', 'refs/heads/main', A, B, false, [B], 'v2', 'https://example.test/acme/shop.git'])
  assert.deepEqual(githubDelivery('ping', {zen: 'x', repository: {full_name: 'a/b'}}), {event: 'ping', repo: 'a/b'})
  assert.deepEqual(githubDelivery('issues', {}), {event: 'other', name: 'issues'})
  for (const [raw, type] of [['{', 'application/json'], ['[1]', 'application/json'], ['x=1', 'application/x-www-form-urlencoded']] as const) assert.throws(() => parseBody(Buffer.from(raw), type), BadPayload)
  assert.throws(() => githubDelivery('push', {...body, after: 'HEAD'}), /`after` is not a commit id/)
  assert.throws(() => githubDelivery('push', {...body, repository: {full_name: '../x'}}), /repository\.full_name/)
})

test('GitLab push bodies: checkout_sha, path_with_namespace, deletions', () => {
  const body = {object_kind: 'push', ref: 'refs/heads/main', before: A, after: B, checkout_sha: B, commits: [{id: B, message: 'gl v2'}], project: {path_with_namespace: 'grp/sub/shop', git_http_url: 'https://gl.test/grp/sub/shop.git'}}
  const p = (gitlabDelivery('Push Hook', body) as {push: Push}).push
  assert.deepEqual([p.forge, p.repo, p.after, p.deleted, p.message, p.cloneUrl], ['gitlab', 'grp/sub/shop', B, false, 'gl v2', 'https://gl.test/grp/sub/shop.git'])
  assert.equal((gitlabDelivery('Push Hook', {...body, after: Z, checkout_sha: null}) as {push: Push}).push.deleted, true)
  assert.deepEqual(gitlabDelivery('Tag Push Hook', {object_kind: 'tag_push'}), {event: 'other', name: 'tag_push'})
})

const plan = {version: 1, project: 'p', apps: {web: {source: 'app', trigger: {repo: 'acme/shop', env: 'staging'}}, api: {source: 'api', trigger: {repo: 'acme/shop', branch: 'release', env: 'prod'}}, other: {source: 'o'}}} as unknown as Plan
const push = (over: Partial<Push>): Push => ({forge: 'github', repo: 'ACME/Shop', ref: 'refs/heads/main', before: A, after: B, deleted: false, commits: [B], ...over})

test('a push triggers the apps of its repository (any case) and branch; tags, deletions, other branches and repos do not', () => {
  assert.deepEqual(matchApps(plan, push({})), {targets: [{app: 'web', env: 'staging', trigger: {repo: 'acme/shop', env: 'staging'}}]})
  assert.deepEqual((matchApps(plan, push({ref: 'refs/heads/release'})) as {targets: Array<{app: string}>}).targets.map((t) => t.app), ['api'])
  assert.match((matchApps(plan, push({ref: 'refs/heads/feature'})) as {ignored: string}).ignored, /branch feature is not deployed/)
  assert.match((matchApps(plan, push({ref: 'refs/tags/v1'})) as {ignored: string}).ignored, /is a tag/)
  assert.match((matchApps(plan, push({deleted: true, after: Z})) as {ignored: string}).ignored, /was deleted/)
  assert.match((matchApps(plan, push({repo: 'acme/other'})) as {unknown: string}).unknown, /no app of the plan has trigger\.repo acme\/other/)
})

const job = (id: string, commit: string, state: Job['state'] = 'succeeded'): Job => ({id, kind: 'deploy.git', env: 'staging', params: {app: 'web', commit}, trigger: {type: 'webhook'}, state, createdAt: new Date().toISOString()})

test('deploy, no-op or superseded, from the deployed commit, the jobs in flight and ancestry', async () => {
  const never = async () => assert.fail('ancestry is not needed here')
  const start = await decide({push: push({}), pending: [], isAncestor: never})
  assert.equal(start.action, 'start', 'nothing deployed yet')
  const deployed = {commit: A, job: job('j1', A)}
  assert.equal((await decide({push: push({before: A, after: B}), deployed, pending: [], isAncestor: never})).action, 'start')
  assert.equal((await decide({push: push({before: A, after: B}), deployed: {commit: B, job: job('j2', B)}, pending: [], isAncestor: never})).action, 'noop', 'the same commit again')
  const inFlight = await decide({push: push({before: A, after: B}), deployed, pending: [job('j3', B, 'running')], isAncestor: never})
  assert.ok(inFlight.action === 'noop' && inFlight.job.id === 'j3', 'being deployed: the job doing it')
  assert.equal((await decide({push: push({before: B, after: C, commits: [C]}), deployed, pending: [job('j3', B, 'queued')], isAncestor: never})).action, 'start', 'follows a queued push')
  assert.equal((await decide({push: push({before: Z, after: C, commits: [A, B, C]}), deployed, pending: [], isAncestor: never})).action, 'start', 'brings the deployed commit')
  // neither follows nor contains it: ancestry decides; unknown ancestry deploys
  const late = await decide({push: push({before: Z, after: C, commits: [C]}), deployed, pending: [], isAncestor: async () => false})
  assert.equal(late.action, 'superseded')
  assert.match((late as {reason: string}).reason, /does not descend from the deployed commit/)
  assert.equal((await decide({push: push({before: Z, after: C, commits: [C]}), deployed, pending: [], isAncestor: async () => true})).action, 'start')
  assert.equal((await decide({push: push({before: Z, after: C, commits: [C]}), deployed, pending: [], isAncestor: async () => undefined})).action, 'start')
})

test('trigger checks: env of the plan, a group of it lists the app; located problems', () => {
  const text = (env: string, apps: string) => `version: 1\nproject: p\napps:\n  web:\n    source: app\n    trigger: {repo: acme/shop, env: ${env}}\nenvironments:\n  staging:\n    groups:\n      web: {hosts: [h1], apps: ${apps}}\n`
  assert.doesNotThrow(() => parsePlan('t.yml', text('staging', '[web]'), {env: {}}))
  const problems = (t: string) => {
    try {
      parsePlan('t.yml', t, {env: {}})
    } catch (e) {
      assert.ok(e instanceof InvalidInputError)
      return e.problems.map(formatProblem).join('\n')
    }
    return assert.fail('accepted')
  }
  assert.match(problems(text('stagin', '[web]')), /t\.yml:6:37: apps\.web\.trigger\.env: environment `stagin` is not an environment of the plan; did you mean `staging`\?/)
  assert.match(problems(text('staging', '[]')), /t\.yml:6:37: apps\.web\.trigger\.env: no group of environment staging lists app web/)
  assert.match(problems(text('staging', '[web]').replace('env: staging}', 'env: staging, path: ../up}')), /apps\.web\.trigger\.path: .*inside the repository/)
})

test('paths and URLs: a revision path never leaves the checkout; git never gets an option or ext:: as URL', () => {
  assert.equal(revisionDir('/co/x', 'app'), '/co/x/app')
  assert.equal(revisionDir('/co/x', undefined), '/co/x')
  for (const bad of ['../x', '/etc', 'a/../../b']) assert.throws(() => revisionDir('/co/x', bad), /outside the repository/)
  for (const ok of ['https://github.com/a/b.git', 'git@github.com:a/b.git', '/var/tmp/r.git', 'file:///var/tmp/r.git', 'ssh://git@h/a.git']) assert.equal(checkGitUrl(ok), ok)
  assert.throws(() => checkGitUrl('https://me:ghp_token@github.com/a/b.git'), /must not carry a password/)
  for (const bad of ['--upload-pack=touch x', 'ext::sh -c touch% x', 'relative/path', 'https://a b', 'http://x\n']) assert.throws(() => checkGitUrl(bad), /is not a repository URL/)
})

test("old checkouts of an app are removed: the newest few, recent ones, the one in use and other apps' stay", async () => {
  const dir = mkdtempSync('/var/tmp/dops-hooks-prune-')
  try {
    const sha = (i: number) => i.toString(16).padStart(40, '0')
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000)
    for (let i = 1; i <= 9; i++) {
      mkdirSync(path.join(dir, `web-${sha(i)}`))
      // web-1 is the oldest; web-9 was made just now
      if (i < 9) utimesSync(path.join(dir, `web-${sha(i)}`), hoursAgo(20 - i), hoursAgo(20 - i))
    }
    mkdirSync(path.join(dir, `web-${sha(99)}.part-1-2`))
    utimesSync(path.join(dir, `web-${sha(99)}.part-1-2`), hoursAgo(30), hoursAgo(30))
    mkdirSync(path.join(dir, `api-${sha(1)}`))
    utimesSync(path.join(dir, `api-${sha(1)}`), hoursAgo(30), hoursAgo(30))
    mkdirSync(path.join(dir, 'web-notasha'))
    utimesSync(path.join(dir, 'web-notasha'), hoursAgo(30), hoursAgo(30))
    const removed = await pruneCheckouts(dir, 'web', path.join(dir, `web-${sha(2)}`))
    assert.equal(KEEP_CHECKOUTS, 5)
    assert.deepEqual(removed.sort(), [`web-${sha(1)}`, `web-${sha(3)}`, `web-${sha(4)}`, `web-${sha(99)}.part-1-2`].sort())
    assert.deepEqual(readdirSync(dir).sort(), [`api-${sha(1)}`, 'web-notasha', ...[2, 5, 6, 7, 8, 9].map((i) => `web-${sha(i)}`)].sort())
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
