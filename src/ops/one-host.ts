/**
 * One host by name or address, resolved the way every other command resolves hosts (plan and state, or an Ansible
 * inventory; ssh_config; command-line overrides), with the ssh_config file it used: the base of `dops ssh` and
 * `dops exec`.
 */
import {InvalidInputError} from '../errors.js'
import type {Host} from '../inventory/host.js'
import {closest} from '../plan/suggest.js'
import {resolveTargets, type TargetSource} from '../targets.js'
import {readSshConfig, type TransportSettings} from '../transport/factory.js'
import {resolveTarget, type SshTarget} from '../transport/ssh-target.js'

export type ConnectionOverrides = Omit<TransportSettings, 'projectDir' | 'planSsh'>

export interface OneHost {
  host: Host
  target: SshTarget
  /** the ssh_config file dops honoured (none: it read none) */
  configFile?: string
  /** the plan or the host says `agent: false` */
  noAgent: boolean
  projectDir: string
}

export async function resolveOneHost(p: {source: TargetSource; connection: ConnectionOverrides; host: string}): Promise<OneHost> {
  const t = await resolveTargets(p.source)
  const matches = t.hosts.filter((h) => h.name === p.host)
  const found = matches.length ? matches : t.hosts.filter((h) => h.address === p.host)
  if (found.length !== 1) {
    const names = [...new Set(t.hosts.map((h) => h.name))]
    if (found.length > 1) throw new InvalidInputError(`\`${p.host}\` is the address of several hosts (${found.map((h) => h.name).join(', ')}); name one of them`)
    const guess = closest(p.host, names)
    const where = t.envName ? ` in environment ${t.envName}` : ''
    throw new InvalidInputError(`no host \`${p.host}\`${where}${guess ? `; did you mean \`${guess}\`?` : ''} (hosts: ${names.slice(0, 20).join(', ') || 'none'}${names.length > 20 ? ', …' : ''})`)
  }
  const host = found[0]!
  const planSsh = t.loaded?.plan.ssh
  const config = readSshConfig({...p.connection, projectDir: t.projectDir, planSsh})
  const target = resolveTarget(host, config, {...p.connection, projectDir: t.projectDir})
  const noAgent = host.ssh?.agent === false
  return {host, target, configFile: config.file, noAgent, projectDir: t.projectDir}
}
