/**
 * A drill's end: the built environment torn down (`env down`: hosts, load balancers, DNS, monitoring targets),
 * then what dops kept about it: its state (only once it records nothing: every host and resource gone) and the
 * deployment records of the drill's environment (its name is a drill's, `drill-<target>`, and no environment of the
 * plan has it). The journals of its runs stay in .dops/env-runs (logs of what was done).
 */
import {readdir, readFile, rm} from 'node:fs/promises'
import path from 'node:path'
import type {LoadedPlan} from '../plan/types.js'
import {openState} from '../state/backend.js'
import type {TargetSource} from '../targets.js'
import type {TransportSettings} from '../transport/factory.js'
import type {Reporter} from '../events.js'
import {envDown, type DownReport} from './env-job.js'

export interface DrillTeardown {
  down?: DownReport
  /** what was removed besides the environment's hosts and resources (state, records) */
  removed: string[]
  /** what is left, when something is (the drill then fails) */
  left: string[]
  error?: string
}

async function removeState(loaded: LoadedPlan, env: string): Promise<string | undefined> {
  const store = await openState(loaded, loaded.dir, env)
  const st = await store.read()
  if (Object.keys(st.groups).length || Object.values(st.resources ?? {}).some((r) => r && Object.keys(r as object).length)) return undefined
  if (store.file) {
    await rm(store.file, {force: true})
    return store.file
  }
  const spec = loaded.plan.state!
  const {S3Client, DeleteObjectCommand} = await import('@aws-sdk/client-s3')
  const c = new S3Client({region: spec.region ?? process.env.AWS_REGION ?? 'us-east-1', endpoint: spec.endpoint, forcePathStyle: !!spec.endpoint, profile: spec.profile})
  await c.send(new DeleteObjectCommand({Bucket: spec.bucket!, Key: `${spec.prefix ?? 'dops/'}${loaded.plan.project}/${env}.json`}))
  c.destroy()
  return store.url
}

async function removeRecords(projectDir: string, env: string): Promise<string[]> {
  const dir = path.join(projectDir, '.dops', 'deployments')
  const out: string[] = []
  for (const n of (await readdir(dir).catch(() => [] as string[])).filter((x) => x.endsWith('.json'))) {
    const file = path.join(dir, n)
    const rec = await readFile(file, 'utf8').then((t) => JSON.parse(t) as {env?: string}).catch(() => undefined)
    if (rec?.env !== env) continue
    await rm(file, {force: true})
    out.push(file)
  }
  return out
}

export async function tearDownDrill(o: {source: TargetSource; loaded: LoadedPlan; env: string; connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>; reporter?: Reporter}): Promise<DrillTeardown> {
  const out: DrillTeardown = {removed: [], left: []}
  try {
    out.down = await envDown({source: o.source, connection: o.connection, yes: true, reporter: o.reporter})
  } catch (e) {
    out.error = `env down of ${o.env}: ${(e as Error).message}`
    out.left.push(`environment ${o.env} (run: dops env restore ${o.env.replace(/^drill-/, '')} --drill again, or see its state)`)
    return out
  }
  const state = await removeState(o.loaded, o.env)
  if (state) out.removed.push(`state ${state}`)
  else out.left.push(`the state of ${o.env} still records hosts or resources`)
  out.removed.push(...(await removeRecords(o.loaded.dir, o.env)).map((f) => `deployment record ${f}`))
  return out
}
