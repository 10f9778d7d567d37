/**
 * A verified delivery's body, read into what a deploy needs: the event (ping, push, something else), the
 * repository, the ref, `before`/`after`, the commits it brings, the clone URL. GitHub's `form` content type
 * (`payload=<urlencoded JSON>`) is read too. Malformed bodies are a BadPayload (400), never a crash.
 */
export type Forge = 'github' | 'gitlab'

export interface Push {
  forge: Forge
  /** `owner/name` (GitLab: `group/subgroup/name`) as the forge spells it */
  repo: string
  /** `refs/heads/main`, `refs/tags/v1` */
  ref: string
  before: string
  /** the commit to deploy (GitLab: `checkout_sha`, else `after`) */
  after: string
  deleted: boolean
  /** ids of the commits the push brings (GitHub: up to 2048; GitLab: the newest 20) */
  commits: string[]
  cloneUrl?: string
  message?: string
  compare?: string
}

export type Delivery = {event: 'ping'; repo?: string} | {event: 'push'; push: Push} | {event: 'other'; name: string}

export class BadPayload extends Error {}

export const ZERO_SHA = /^0+$/
export const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The JSON of a delivery body: `application/json`, or GitHub's `application/x-www-form-urlencoded` with `payload=`. */
export function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  let text = raw.toString('utf8')
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload')
    if (payload === null) throw new BadPayload('a form body needs a `payload` field (GitHub: content type application/x-www-form-urlencoded)')
    text = payload
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new BadPayload(`the body is not JSON: ${(e as Error).message.slice(0, 200)}`)
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new BadPayload('the body is not a JSON object')
  return data as Record<string, unknown>
}

function sha(v: unknown, field: string): string {
  const s = str(v)?.toLowerCase()
  if (!s || !SHA.test(s)) throw new BadPayload(`\`${field}\` is not a commit id (40 or 64 hex digits)`)
  return s
}

function commitIds(v: unknown): string[] {
  if (!Array.isArray(v)) return []
  return v.slice(0, 5000).map((c) => str(obj(c).id)?.toLowerCase()).filter((id): id is string => !!id && SHA.test(id))
}

function repoName(v: unknown, field: string): string {
  const s = str(v)
  if (!s || s.length > 512 || !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(s) || s.split('/').some((x) => x === '.' || x === '..')) throw new BadPayload(`\`${field}\` is not a repository name (owner/name)`)
  return s
}

const firstLine = (m: unknown) => str(m)?.split('\n')[0]?.slice(0, 200)

export function githubDelivery(event: string, body: Record<string, unknown>): Delivery {
  const repository = obj(body.repository)
  if (event === 'ping') return {event: 'ping', repo: str(repository.full_name)}
  if (event !== 'push') return {event: 'other', name: event.slice(0, 64) || '(no X-GitHub-Event)'}
  const ref = str(body.ref)
  if (!ref) throw new BadPayload('`ref` is missing')
  const deleted = body.deleted === true
  const head = obj(body.head_commit)
  return {
    event: 'push',
    push: {
      forge: 'github',
      repo: repoName(repository.full_name, 'repository.full_name'),
      ref,
      before: sha(body.before, 'before'),
      after: sha(body.after, 'after'),
      deleted,
      commits: commitIds(body.commits),
      cloneUrl: str(repository.clone_url),
      message: firstLine(head.message),
      compare: str(body.compare),
    },
  }
}

export function gitlabDelivery(event: string | undefined, body: Record<string, unknown>): Delivery {
  const kind = str(body.object_kind) ?? ''
  if (kind !== 'push') return {event: 'other', name: (kind || event || 'unknown').slice(0, 64)}
  const project = obj(body.project)
  const ref = str(body.ref)
  if (!ref) throw new BadPayload('`ref` is missing')
  const after = sha(body.after, 'after')
  // checkout_sha is null when the branch was deleted
  const deleted = ZERO_SHA.test(after) || body.checkout_sha === null
  const checkout = deleted ? after : sha(body.checkout_sha ?? body.after, 'checkout_sha')
  const commits = Array.isArray(body.commits) ? body.commits : []
  const head = obj(commits.find((c) => str(obj(c).id)?.toLowerCase() === checkout))
  return {
    event: 'push',
    push: {
      forge: 'gitlab',
      repo: repoName(project.path_with_namespace, 'project.path_with_namespace'),
      ref,
      before: sha(body.before, 'before'),
      after: checkout,
      deleted,
      commits: commitIds(commits),
      cloneUrl: str(project.git_http_url) ?? str(obj(body.repository).git_http_url),
      message: firstLine(head.message),
      compare: str(project.web_url) ? `${str(project.web_url)}/-/compare/${str(body.before)}...${checkout}` : undefined,
    },
  }
}
