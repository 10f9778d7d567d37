/**
 * What a run journal keeps of the command it ran: the command, script and arguments with every secret redacted (what
 * is shown), plus templates that name each secret's source (`${env:NAME}`, `${file:PATH}`) in place of its value.
 * `--retry-failed` rebuilds the exact command from the templates, resolving the sources again; a secret value is
 * never written to disk, and a command that cannot be rebuilt exactly is refused, never run redacted.
 */
import {readFileSync} from 'node:fs'
import {InvalidInputError} from '../errors.js'
import {fromTemplate, MASK, toTemplate, type Redactor, type SecretTemplate} from '../util/redact.js'
import type {Host} from '../inventory/host.js'
import {redactDeep} from '../deploy/redact-report.js'
import type {RunSpec} from './run.js'

/** Host fields a retry connects with; a secret in one of them is kept as a template too. */
const HOST_FIELDS = ['address', 'user', 'identityFile'] as const
type HostField = (typeof HOST_FIELDS)[number]

/**
 * A host as the journal keeps it: secrets redacted (vars included), with templates for what a retry needs: the
 * connection fields, and the variables (plan variables are strings, numbers or booleans; only a string holds a secret).
 */
export type JournalHost = Host & {templates?: Partial<Record<HostField, SecretTemplate>> & {vars?: Record<string, SecretTemplate>}}

export interface JournalSpec extends RunSpec {
  /** present when the command, an argument or the script held a secret: how to rebuild each exactly */
  templates?: {command?: SecretTemplate; args?: Array<SecretTemplate | null>; script?: SecretTemplate}
}

/** The spec as the journal stores it: redacted, with templates for what held a secret. */
export function recordSpec(spec: RunSpec, redact: Redactor, refs: ReadonlyMap<string, string>): JournalSpec {
  const templates: NonNullable<JournalSpec['templates']> = {}
  const command = spec.command === undefined ? undefined : toTemplate(spec.command, refs)
  if (command) templates.command = command
  const args = spec.args?.map((a) => toTemplate(a, refs) ?? null)
  if (args?.some(Boolean)) templates.args = args
  const script = spec.script ? toTemplate(spec.script.content, refs) : undefined
  if (script) templates.script = script
  return {
    ...spec,
    command: spec.command === undefined ? undefined : redact(spec.command),
    args: spec.args?.map(redact),
    script: spec.script ? {path: spec.script.path, content: redact(spec.script.content)} : undefined,
    ...(Object.keys(templates).length ? {templates} : {}),
  }
}

/** Resolve one secret source now, as the plan would. */
export function resolveRef(ref: string, env: NodeJS.ProcessEnv): string {
  if (ref.startsWith('env:')) {
    const v = env[ref.slice(4)]
    if (v === undefined || v === '') throw new Error(`\${${ref}} is not set now`)
    return v
  }
  if (ref.startsWith('file:')) {
    try {
      return readFileSync(ref.slice(5), 'utf8').replace(/\r?\n$/, '')
    } catch (e) {
      throw new Error(`cannot read ${ref.slice(5)} for \${${ref}}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  throw new Error(`unknown secret source \${${ref}}`)
}

/**
 * The exact spec a journal ran, and the secret sources it used (value -> source), to redact the retry the same way.
 * Throws an InvalidInputError (nothing runs) when a secret cannot be resolved, or when an older journal holds a
 * redacted command without templates.
 */
export function replaySpec(runId: string, j: JournalSpec, env: NodeJS.ProcessEnv, refs = new Map<string, string>()): {spec: RunSpec; refs: Map<string, string>} {
  const resolve = resolver(runId, env, refs)
  const t = j.templates ?? {}
  const spec: RunSpec = {
    command: t.command ? fromTemplate(t.command, resolve) : j.command,
    args: j.args?.map((a, i) => (t.args?.[i] ? fromTemplate(t.args[i]!, resolve) : a)),
    script: j.script ? {path: j.script.path, content: t.script ? fromTemplate(t.script, resolve) : j.script.content} : undefined,
    sudo: j.sudo,
    runAs: j.runAs,
    timeoutSec: j.timeoutSec,
    env: j.env,
  }
  return {spec, refs}
}

/** The JSON path of the first damaged part of a journal's spec (what a retry would run), or undefined. */
export function specDamage(j: JournalSpec): string | undefined {
  const t = j.templates ?? {}
  const okTemplate = (x: unknown) => Array.isArray(x) && x.every((p) => typeof p === 'string' || (p !== null && typeof p === 'object' && typeof (p as {ref?: unknown}).ref === 'string'))
  return [
    j.command === undefined || typeof j.command === 'string' ? '' : 'spec.command',
    j.args === undefined || (Array.isArray(j.args) && j.args.every((a) => typeof a === 'string')) ? '' : 'spec.args',
    j.script === undefined || (typeof j.script?.content === 'string' && typeof j.script?.path === 'string') ? '' : 'spec.script',
    j.command === undefined && j.script === undefined ? 'spec.command' : '',
    t !== null && typeof t === 'object' ? '' : 'spec.templates',
    t?.command === undefined || okTemplate(t.command) ? '' : 'spec.templates.command',
    t?.script === undefined || okTemplate(t.script) ? '' : 'spec.templates.script',
    t?.args === undefined || (Array.isArray(t.args) && t.args.every((x) => x === null || okTemplate(x))) ? '' : 'spec.templates.args',
  ].find(Boolean)
}

/** Journals written before templates existed stored a redacted command that must never run. */
export function assertReplayable(runId: string, version: number, j: JournalSpec): void {
  if (version >= 2) return
  const texts = [j.command ?? '', ...(j.args ?? []), j.script?.content ?? '']
  if (texts.some((x) => x.includes(MASK))) throw new InvalidInputError(`cannot retry run ${runId}: it was recorded by an older dops with secrets redacted (\`${MASK}\`), so its exact command is lost; run the command again without --retry-failed`)
}

export function recordHost(h: Host, redact: Redactor, refs: ReadonlyMap<string, string>): JournalHost {
  const templates: NonNullable<JournalHost['templates']> = {}
  // variables reach the scripts (host-env.ts): every string in them redacted, nested ones included, with templates
  const out: JournalHost = {...h, vars: redactDeep(h.vars, redact)}
  const vars: Record<string, SecretTemplate> = {}
  for (const [k, v] of Object.entries(h.vars)) {
    const t = typeof v === 'string' ? toTemplate(v, refs) : undefined
    if (t) vars[k] = t
  }
  if (Object.keys(vars).length) templates.vars = vars
  for (const f of HOST_FIELDS) {
    const v = h[f]
    const t = v === undefined ? undefined : toTemplate(v, refs)
    if (t) templates[f] = t
    if (v !== undefined) out[f] = redact(v)
  }
  if (Object.keys(templates).length) out.templates = templates
  return out
}

/** The host a journal recorded, its secret fields resolved again (refs collects value -> source). */
export function replayHost(runId: string, h: JournalHost, env: NodeJS.ProcessEnv, refs: Map<string, string>): Host {
  const {templates, ...host} = h
  const {vars, ...fields} = templates ?? {}
  const resolve = resolver(runId, env, refs)
  for (const [f, t] of Object.entries(fields) as Array<[HostField, SecretTemplate]>) host[f] = fromTemplate(t, resolve)
  if (vars && typeof vars === 'object') {
    host.vars = {...host.vars}
    for (const [k, t] of Object.entries(vars)) if (Array.isArray(t)) host.vars[k] = fromTemplate(t, resolve)
  }
  return host
}

function resolver(runId: string, env: NodeJS.ProcessEnv, refs: Map<string, string>): (ref: string) => string {
  return (ref) => {
    let v: string
    try {
      v = resolveRef(ref, env)
    } catch (e) {
      throw new InvalidInputError(`cannot retry run ${runId}: it used a secret from ${(e as Error).message}. dops never stores secret values; make the secret available as it was, or run the command again without --retry-failed`)
    }
    refs.set(v, ref)
    return v
  }
}
