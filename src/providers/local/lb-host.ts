/**
 * The sandbox host of a local load balancer: made by the local provider itself (its group is `lb.<name>`, a name no
 * plan group can have), found again by its own record (instance.json) in the environment's directory, reached over
 * SSH like every host. Its nginx reads /etc/dops/lb/nginx.conf (the host's private /etc/dops, written here from
 * this machine) and keeps its pid, logs and temp files in /var/lib/dops/lb. A configuration is applied by `nginx -t`
 * then a graceful reload, waiting until the new workers run (and, when asked, until the old ones are gone: no new
 * request reaches what the old configuration had).
 */
import {existsSync} from 'node:fs'
import {mkdir, readdir, readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'
import type {Host} from '../../inventory/host.js'
import type {ResourceScope} from '../../env/resources.js'
import type {InstanceState} from '../../state/local-file.js'
import {createSshTransport} from '../../transport/factory.js'
import {shQuote} from '../../transport/remote-command.js'
import type {ProviderContext} from '../types.js'
import {isSandboxProcess} from './identity.js'
import {LB_CONF, LB_RUN, type LbModel} from './lb-config.js'
import {localEnvRoot, localProvider} from './provider.js'

export const LB_GROUP_PREFIX = 'lb.'

export function lbCtx(s: ResourceScope, name: string, settings: Record<string, unknown> = {}): ProviderContext {
  return {project: s.loaded.plan.project, env: s.envName, group: `${LB_GROUP_PREFIX}${name}`, projectDir: s.projectDir, spec: {}, settings}
}

/** Every load balancer host of the environment by its own record (running or not), by load balancer name. */
export async function lbHosts(s: ResourceScope): Promise<Map<string, InstanceState[]>> {
  const hosts = path.join(localEnvRoot(s.loaded.plan.project, s.envName, s.projectDir), 'hosts')
  const out = new Map<string, InstanceState[]>()
  for (const dir of await readdir(hosts).catch(() => [] as string[])) {
    const rec = await readFile(path.join(hosts, dir, 'instance.json'), 'utf8').then((t) => JSON.parse(t) as InstanceState, () => undefined)
    const group = String(rec?.data.group ?? '')
    if (!rec || !group.startsWith(LB_GROUP_PREFIX) || rec.data.dir !== path.join(hosts, dir)) continue
    const name = group.slice(LB_GROUP_PREFIX.length)
    out.set(name, [...(out.get(name) ?? []), rec])
  }
  return out
}

export function hostRunning(i: InstanceState): boolean {
  return isSandboxProcess(Number(i.data.pid), String(i.data.dir), i.data.started === undefined ? undefined : String(i.data.started))
}

/** The running host of load balancer `name`, if any. */
export async function runningLbHost(s: ResourceScope, name: string): Promise<InstanceState | undefined> {
  return (await lbHosts(s)).get(name)?.find(hostRunning)
}

export async function createLbHost(s: ResourceScope, name: string, settings: Record<string, unknown>): Promise<InstanceState> {
  const [made] = await localProvider.create(lbCtx(s, name, settings), 1, [])
  return made!
}

export async function destroyLbHosts(s: ResourceScope, name: string, hosts: InstanceState[]): Promise<void> {
  if (hosts.length) await localProvider.destroy(lbCtx(s, name), hosts)
}

/** The host's private /etc/dops/lb as this machine sees it. */
const confDir = (i: InstanceState) => path.join(String(i.data.dir), 'fs', 'etc', 'dops', 'lb')
/** the model nginx runs now (written after each applied configuration) */
const modelFile = (i: InstanceState) => path.join(String(i.data.dir), 'lb-model.json')

export async function appliedModel(i: InstanceState): Promise<LbModel | undefined> {
  return readFile(modelFile(i), 'utf8').then((t) => JSON.parse(t) as LbModel, () => undefined)
}

function asHost(i: InstanceState): Host {
  return {name: i.name, address: i.address, port: i.port, user: i.user, identityFile: i.identityFile, group: String(i.data.group), groups: [], labels: {}, vars: {}, ...(i.knownHosts ? {ssh: {knownHosts: [i.knownHosts]}} : {})}
}

/** Run a shell script on the host (stdin of `sh -s`); the exit code and output. */
export async function onLbHost(s: ResourceScope, i: InstanceState, script: string, deadlineMs: number): Promise<{code: number | null; out: string}> {
  const transport = createSshTransport({...s.connection, projectDir: s.projectDir, planSsh: s.loaded.plan.ssh})
  try {
    const c = await transport.connect(asHost(i))
    const r = await c.exec('sh -s', {stdin: script, deadlineMs})
    return {code: r.deadlineExceeded ? null : r.exitCode, out: `${r.stderr}${r.stdout}`.trim()}
  } finally {
    await transport.close()
  }
}

const NGINX = `nginx -e ${LB_RUN}/error.log -c ${LB_CONF}`

/**
 * The script that applies /etc/dops/lb/nginx.conf.new: `nginx -t` on it (a bad one changes nothing), then it
 * becomes nginx.conf and nginx starts or reloads gracefully; the new workers must appear (the master applied it),
 * and with `drainS` the old workers must be gone within that many seconds (+5: worker_shutdown_timeout ends them).
 */
export function applyScript(drainS: number | undefined): string {
  const poll = (what: string, n: number, fail: string) => `i=0; while ! ${what}; do i=$((i+1)); if [ $i -ge ${n} ]; then echo ${shQuote(fail)} >&2; tail -n 5 ${LB_RUN}/error.log >&2; exit 4; fi; sleep 0.05; done`
  return [
    'set -e',
    `mkdir -p ${LB_RUN}`,
    `nginx -t -q -e ${LB_RUN}/error.log -c ${LB_CONF}.new`,
    `mv ${LB_CONF}.new ${LB_CONF}`,
    `m=$(cat ${LB_RUN}/nginx.pid 2>/dev/null || true)`,
    'if [ -n "$m" ] && kill -0 "$m" 2>/dev/null; then',
    '  old=$(pgrep -P "$m" | tr "\\n" " ")',
    '  fresh() { for p in $(pgrep -P "$m"); do case " $old " in *" $p "*) ;; *) return 0 ;; esac; done; return 1; }',
    '  gone() { for p in $old; do if kill -0 "$p" 2>/dev/null; then return 1; fi; done; return 0; }',
    `  ${NGINX} -s reload`,
    `  ${poll('fresh', 400, 'nginx did not apply the new configuration within 20 s')}`,
    drainS === undefined ? '' : `  ${poll('gone', (drainS + 5) * 20, `nginx's old workers were still running after ${drainS + 5} s`)}`,
    'else',
    `  ${NGINX}`,
    `  ${poll(`[ -s ${LB_RUN}/nginx.pid ]`, 200, 'nginx did not start within 10 s')}`,
    'fi',
    '',
  ].join('\n')
}

/** Write the configuration and apply it (see applyScript); the applied model is kept for `env plan`. */
export async function applyConfig(s: ResourceScope, i: InstanceState, model: LbModel, text: string, waitOld: boolean): Promise<void> {
  const dir = confDir(i)
  await mkdir(dir, {recursive: true})
  await writeFile(path.join(dir, 'nginx.conf.new'), text)
  const r = await onLbHost(s, i, applyScript(waitOld ? model.drain : undefined), (model.drain + 40) * 1000)
  if (r.code !== 0) throw new Error(`nginx on ${i.name} (${i.address}): ${r.code === null ? 'no answer in time' : `exit ${r.code}`}: ${r.out.slice(-600)}`)
  const tmp = `${modelFile(i)}.tmp`
  await writeFile(tmp, JSON.stringify(model))
  await rename(tmp, modelFile(i))
}

/** `address:port` entries out of traffic, by target group (`TG address:port`); kept beside the host's record. */
const downFile = (i: InstanceState) => path.join(String(i.data.dir), 'lb-down.json')
export async function readDown(i: InstanceState): Promise<Set<string>> {
  return new Set(existsSync(downFile(i)) ? (JSON.parse(await readFile(downFile(i), 'utf8')) as string[]) : [])
}
export async function writeDown(i: InstanceState, down: Set<string>): Promise<void> {
  await writeFile(`${downFile(i)}.tmp`, JSON.stringify([...down].sort()))
  await rename(`${downFile(i)}.tmp`, downFile(i))
}
