/**
 * The service's git cache: one bare repository per app under `<project>/.dops/serve/git/<app>.git`, commits fetched
 * into it by id (each kept under `refs/dops/<sha>`), trees exported with `git archive` into
 * `<project>/.dops/serve/checkouts/<app>-<sha>`. git runs with an argument array (never a shell), no prompt, no
 * `ext::` transport, a timeout, and one operation at a time per repository.
 */
import {mkdir, readdir, rename, rm, stat, utimes} from 'node:fs/promises'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../../errors.js'
import {SHA} from './payload.js'

export const GIT_TIMEOUT_MS = 10 * 60_000

export function gitDirs(projectDir: string, app: string): {repo: string; checkouts: string} {
  if (!/^[A-Za-z0-9_.-]+$/.test(app) || app.startsWith('.')) throw new InvalidInputError(`app name \`${app}\` cannot name a directory`)
  const root = path.join(projectDir, '.dops', 'serve')
  return {repo: path.join(root, 'git', `${app}.git`), checkouts: path.join(root, 'checkouts')}
}

/** A URL git may fetch from: http(s), ssh, git, file, `user@host:path`, or an absolute path. Never an option or `ext::`. */
export function checkGitUrl(url: string): string {
  const ok = url.length <= 2048 && !/[\0-\x1f]/.test(url) && (/^(https?|ssh|git|file):\/\/[^\s]+$/.test(url) || /^\/[^\s]*$/.test(url) || /^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[^\s]+$/.test(url))
  if (ok && /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(url)) throw new InvalidInputError('a repository URL must not carry a password (it would be journaled and logged): use a git credential helper or an ssh key')
  if (!ok || url.includes('::')) throw new InvalidInputError(`\`${url.slice(0, 200)}\` is not a repository URL git may fetch from (https://, ssh://, git://, file://, user@host:path or an absolute path)`)
  return url
}

const locks = new Map<string, Promise<unknown>>()
/** One git operation at a time per repository (fetches of two jobs, or of a job and a webhook's ancestry check). */
export function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve()
  const next = prev.then(fn, fn)
  const tail = next.catch(() => undefined)
  locks.set(key, tail)
  void tail.then(() => locks.get(key) === tail && locks.delete(key))
  return next
}

export async function git(repo: string, args: string[], opts: {timeoutMs?: number; signal?: AbortSignal} = {}): Promise<{code: number; stdout: string; stderr: string}> {
  const {execa} = await import('execa')
  const r = await execa('git', ['--git-dir', repo, '-c', 'protocol.ext.allow=never', '-c', 'core.sshCommand=ssh -o BatchMode=yes', ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? GIT_TIMEOUT_MS,
    cancelSignal: opts.signal,
    env: {GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C'},
    maxBuffer: 10 * 1024 * 1024,
  })
  const timedOut = (r as {timedOut?: boolean}).timedOut
  return {code: typeof r.exitCode === 'number' ? r.exitCode : timedOut ? 124 : 1, stdout: String(r.stdout ?? ''), stderr: (timedOut ? `timed out after ${Math.round((opts.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)} s; ` : '') + String(r.stderr ?? '')}
}

const tail = (s: string) => s.trim().split('\n').slice(-5).join('\n')

export async function ensureBareRepo(repo: string): Promise<void> {
  if (await stat(path.join(repo, 'HEAD')).catch(() => undefined)) return
  await mkdir(path.dirname(repo), {recursive: true})
  const {execa} = await import('execa')
  const r = await execa('git', ['init', '--quiet', '--bare', repo], {reject: false, stdin: 'ignore', timeout: 60_000})
  if (r.exitCode !== 0) throw new DopsError('GIT_FAILED', `git init --bare ${repo} failed: ${tail(String(r.stderr))}`, {exitCode: ExitCode.DEPLOY_FAILED})
}

export async function hasCommit(repo: string, commit: string): Promise<boolean> {
  return (await git(repo, ['cat-file', '-e', `${commit}^{commit}`], {timeoutMs: 30_000})).code === 0
}

/** Fetch `commit` from `url` (with its history, so ancestry can be asked); `ref` is fetched when the server refuses a bare id. */
export async function fetchCommit(repo: string, url: string, commit: string, ref?: string, opts: {timeoutMs?: number; signal?: AbortSignal} = {}): Promise<'cached' | 'fetched'> {
  if (!SHA.test(commit)) throw new InvalidInputError(`\`${commit}\` is not a commit id`)
  checkGitUrl(url)
  return serialized(repo, async () => {
    await ensureBareRepo(repo)
    if (await hasCommit(repo, commit)) return 'cached'
    const base = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--', url]
    let r = await git(repo, [...base, `+${commit}:refs/dops/${commit}`], opts)
    if (r.code !== 0 && ref && /^refs\/heads\/[^\s:~^?*[\\]+$/.test(ref) && !ref.includes('..')) {
      const into = `refs/dops/heads/${ref.slice('refs/heads/'.length)}`
      const byRef = await git(repo, [...base, `+${ref}:${into}`], opts)
      if (byRef.code === 0 && (await hasCommit(repo, commit))) {
        await git(repo, ['update-ref', `refs/dops/${commit}`, commit], {timeoutMs: 30_000})
        r = byRef
      } else if (byRef.code === 0) r = {code: 1, stdout: '', stderr: `${ref} of ${url} does not contain ${commit} (pushed over since?)`}
    }
    if (r.code !== 0) throw new DopsError('GIT_FETCH_FAILED', `cannot fetch ${commit} from ${url}: ${tail(r.stderr)}`, {exitCode: ExitCode.DEPLOY_FAILED})
    return 'fetched'
  })
}

/** Whether `ancestor` is an ancestor of `commit` (both present); undefined when git cannot tell. */
export async function isAncestor(repo: string, ancestor: string, commit: string): Promise<boolean | undefined> {
  const r = await git(repo, ['merge-base', '--is-ancestor', ancestor, commit], {timeoutMs: 30_000})
  return r.code === 0 ? true : r.code === 1 ? false : undefined
}

/** The commit's tree in `<checkouts>/<app>-<sha>`, made once (exported beside it, then renamed into place). */
export async function checkout(repo: string, checkouts: string, app: string, commit: string, signal?: AbortSignal): Promise<{dir: string; reused: boolean}> {
  const dir = path.join(checkouts, `${app}-${commit}`)
  if (await stat(dir).catch(() => undefined)) {
    // in use again: not among the old ones pruneCheckouts removes
    const now = new Date()
    await utimes(dir, now, now).catch(() => undefined)
    return {dir, reused: true}
  }
  await mkdir(checkouts, {recursive: true})
  const tmp = `${dir}.part-${process.pid}-${Date.now()}`
  const tar = `${tmp}.tar`
  try {
    const a = await serialized(repo, () => git(repo, ['archive', '--format=tar', '-o', tar, commit], {signal}))
    if (a.code !== 0) throw new DopsError('GIT_FAILED', `git archive ${commit} failed: ${tail(a.stderr)}`, {exitCode: ExitCode.DEPLOY_FAILED})
    await mkdir(tmp)
    const {execa} = await import('execa')
    const x = await execa('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-f', tar, '-C', tmp], {reject: false, stdin: 'ignore', timeout: GIT_TIMEOUT_MS, cancelSignal: signal})
    if (x.exitCode !== 0) throw new DopsError('GIT_FAILED', `cannot unpack ${commit}: ${tail(String(x.stderr))}`, {exitCode: ExitCode.DEPLOY_FAILED})
    await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
      // another job made it meanwhile: use theirs
      if (!(await stat(dir).catch(() => undefined))) throw e
    })
    return {dir, reused: false}
  } finally {
    await rm(tmp, {recursive: true, force: true})
    await rm(tar, {force: true})
  }
}

/** checkouts of an app kept: the newest few, and any touched within the hour (a job of another environment may use it) */
export const KEEP_CHECKOUTS = 5
const RECENT_MS = 3600_000

/** Remove an app's old checkouts (and parts left by a crash); returns the names removed. */
export async function pruneCheckouts(checkouts: string, app: string, keep: string): Promise<string[]> {
  const names = (await readdir(checkouts).catch(() => [] as string[])).filter((n) => n.startsWith(`${app}-`) && /^[0-9a-f]{40}([0-9a-f]{24})?(\.part-.*)?$/.test(n.slice(app.length + 1)))
  const dated = await Promise.all(names.map(async (n) => ({n, at: (await stat(path.join(checkouts, n)).catch(() => undefined))?.mtimeMs ?? Infinity})))
  dated.sort((a, b) => b.at - a.at)
  const old = dated.filter((d, i) => i >= KEEP_CHECKOUTS && Date.now() - d.at > RECENT_MS && path.join(checkouts, d.n) !== keep)
  for (const d of old) await rm(path.join(checkouts, d.n), {recursive: true, force: true})
  return old.map((d) => d.n)
}
