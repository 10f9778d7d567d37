/**
 * What the webhook tests and bench/webhook-bench.ts share: a project copied from examples/local whose web app is
 * triggered by pushes to a real git repository (a work tree and its bare remote under /var/tmp), commits made and
 * pushed with the git CLI, and GitHub / GitLab deliveries signed here with node:crypto (independently of the code
 * under test).
 */
import {execFileSync} from 'node:child_process'
import {createHmac, randomUUID} from 'node:crypto'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {ROOT} from '../helpers.js'

export const GITHUB_SECRET = 'gh-secret-for-tests'
export const GITLAB_TOKEN = 'gl-token-for-tests'
export const GITLAB_SIGNING = 'whsec_' + Buffer.from('gitlab-signing-key-for-tests').toString('base64')
export const REPO = 'Acme/Shop'

export interface Fixture {
  base: string
  project: string
  planFile: string
  projectName: string
  work: string
  remote: string
  /** commit the site saying `text` (and VERSION), push it; the new commit id */
  commit: (text: string, files?: Record<string, string>) => string
  head: () => string
  cleanup: () => void
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=dops test', '-c', 'user.email=test@dops.invalid', ...args], {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()

export function makeFixture(projectName: string): Fixture {
  const base = mkdtempSync('/var/tmp/dops-hooks-')
  const project = path.join(base, 'project')
  cpSync(path.join(ROOT, 'examples/local'), project, {recursive: true})
  const planFile = path.join(project, 'dops.yml')
  const remote = path.join(base, 'remote.git')
  const build = 'build: sh build.sh\n    trigger: {repo: acme/shop, env: local, url: ' + JSON.stringify(remote) + ', path: app}\n    strategy:'
  writeFileSync(planFile, readFileSync(planFile, 'utf8').replace('project: shop', `project: ${projectName}`).replace('strategy:', build))
  // the build, as `dops deploy` runs it: in the project (env up) or in the checkout of the pushed commit
  // and whether it could read a webhook secret from its environment (it must not)
  const buildSh = 'cp VERSION app/site/version.txt\necho "secrets:${DOPS_GITHUB_WEBHOOK_SECRET}${DOPS_GITLAB_WEBHOOK_TOKEN}${DOPS_GITLAB_SIGNING_SECRET}" > app/site/env.txt\n'
  writeFileSync(path.join(project, 'build.sh'), buildSh)
  writeFileSync(path.join(project, 'VERSION'), 'project\n')
  // the repository: the app, its build and VERSION; a bare remote the trigger fetches from
  const work = path.join(base, 'work')
  mkdirSync(work)
  cpSync(path.join(ROOT, 'examples/local/app'), path.join(work, 'app'), {recursive: true})
  writeFileSync(path.join(work, 'build.sh'), buildSh)
  git(work, 'init', '--quiet', '-b', 'main')
  git(base, 'init', '--quiet', '--bare', remote)
  git(work, 'remote', 'add', 'origin', remote)
  const commit = (text: string, files: Record<string, string> = {}) => {
    writeFileSync(path.join(work, 'app/site/index.html'), `<h1>${text}</h1>\n`)
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(work, name), content)
    writeFileSync(path.join(work, 'VERSION'), `${text}\n`)
    git(work, 'add', '-A')
    git(work, 'commit', '--quiet', '-m', `site: ${text}`)
    git(work, 'push', '--quiet', 'origin', 'main')
    return git(work, 'rev-parse', 'HEAD')
  }
  commit('shop v1')
  return {base, project, planFile, projectName, work, remote, commit, head: () => git(work, 'rev-parse', 'HEAD'), cleanup: () => rmSync(base, {recursive: true, force: true})}
}

export interface Delivery {
  headers: Record<string, string>
  payload: string
}

/** A GitHub push delivery, signed with `secret` over the exact bytes sent. */
export function githubPush(p: {before: string; after: string; ref?: string; id?: string; secret?: string; form?: boolean; repo?: string}): Delivery {
  const body = {
    ref: p.ref ?? 'refs/heads/main',
    before: p.before,
    after: p.after,
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.invalid/${REPO}/compare/${p.before.slice(0, 12)}...${p.after.slice(0, 12)}`,
    commits: [{id: p.after, message: 'site update', timestamp: new Date().toISOString()}],
    head_commit: {id: p.after, message: 'site update'},
    repository: {full_name: p.repo ?? REPO, clone_url: `https://github.invalid/${REPO}.git`, default_branch: 'main'},
    pusher: {name: 'dev'},
  }
  const json = JSON.stringify(body)
  const payload = p.form ? 'payload=' + encodeURIComponent(json) : json
  const signature = 'sha256=' + createHmac('sha256', p.secret ?? GITHUB_SECRET).update(payload).digest('hex')
  return {
    payload,
    headers: {
      'content-type': p.form ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': p.id ?? randomUUID(),
      'x-hub-signature-256': signature,
      'user-agent': 'GitHub-Hookshot/test',
    },
  }
}

/** A GitLab push delivery with the secret token and a Standard Webhooks signature (`whsec_` key). */
export function gitlabPush(p: {before: string; after: string; id?: string; timestamp?: number}): Delivery {
  const body = {
    object_kind: 'push',
    event_name: 'push',
    ref: 'refs/heads/main',
    before: p.before,
    after: p.after,
    checkout_sha: p.after,
    project: {path_with_namespace: 'acme/shop', git_http_url: 'https://gitlab.invalid/acme/shop.git', web_url: 'https://gitlab.invalid/acme/shop'},
    commits: [{id: p.after, message: 'site update'}],
    total_commits_count: 1,
  }
  const payload = JSON.stringify(body)
  const id = p.id ?? `msg_${randomUUID()}`
  const ts = String(p.timestamp ?? Math.floor(Date.now() / 1000))
  const key = Buffer.from(GITLAB_SIGNING.slice('whsec_'.length), 'base64')
  const signature = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${payload}`).digest('base64')
  return {
    payload,
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': GITLAB_TOKEN,
      'x-gitlab-event-uuid': randomUUID(),
      'idempotency-key': id,
      'webhook-id': id,
      'webhook-timestamp': ts,
      'webhook-signature': signature,
    },
  }
}

export function setHookSecrets(): void {
  process.env.DOPS_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
  process.env.DOPS_GITLAB_WEBHOOK_TOKEN = GITLAB_TOKEN
  process.env.DOPS_GITLAB_SIGNING_SECRET = GITLAB_SIGNING
}
