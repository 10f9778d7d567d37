/**
 * The ssh_config corpus (test/fixtures/ssh-configs/NN-name/{config,hosts,…}) resolved by dops and by `ssh -G -F`:
 * OpenSSH is the oracle. `@DIR@` in a fixture file stands for the case's (copied) directory.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {SshConfigFile} from '../../src/transport/ssh-config.js'

const corpus = path.resolve(import.meta.dirname, '../fixtures/ssh-configs')
const work = mkdtempSync(path.join(os.tmpdir(), 'sshcfg-'))
const env = {...process.env, SHELL: '/bin/sh', DOPS_TEST_KH_DIR: path.join(work, 'env kh')}
const DEFAULT_IDS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((k) => `~/.ssh/${k}`)
// OpenSSH finds ~ in the passwd entry, not $HOME
const HOME = os.userInfo().homedir
const KEYS = ['hostname', 'port', 'user', 'identityfile', 'proxyjump', 'proxycommand', 'userknownhostsfile', 'stricthostkeychecking'] as const

function copyCase(name: string): string {
  const dir = path.join(work, name)
  cpSync(path.join(corpus, name), dir, {recursive: true})
  const fix = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = path.join(d, f)
      if (statSync(p).isDirectory()) fix(p)
      else writeFileSync(p, readFileSync(p, 'utf8').replaceAll('@DIR@', dir))
    }
  }
  fix(dir)
  return dir
}

function sshG(config: string, host: string): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', config, '--', host], {encoding: 'utf8', env, cwd: path.dirname(config), stdio: ['ignore', 'pipe', 'pipe']})
  const r: Record<string, string[]> = {}
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ')
    if (i > 0) (r[line.slice(0, i)] ??= []).push(line.slice(i + 1))
  }
  return r
}

function dops(config: string, host: string): Record<(typeof KEYS)[number], string[]> {
  const file = SshConfigFile.read(config, true, env)
  const e = file.lookup(host)
  const strict = {yes: 'true', no: 'false', ask: 'ask', 'accept-new': 'accept-new'}[e.strictHostKeyChecking ?? 'ask']
  return {
    hostname: [e.hostName ?? host.toLowerCase()],
    port: [String(e.port ?? 22)],
    user: [e.user ?? os.userInfo().username],
    // ssh -G prints IdentityFile unexpanded (expansion is checked through UserKnownHostsFile, which it expands)
    identityfile: e.raw.identityFiles.length ? e.raw.identityFiles : DEFAULT_IDS,
    proxyjump: e.proxyJump ? [e.proxyJump] : [],
    proxycommand: e.raw.proxyCommand && !e.proxyJump && e.raw.proxyCommand !== 'none' ? [e.raw.proxyCommand] : [],
    userknownhostsfile: [e.raw.userKnownHostsFiles.length ? e.raw.userKnownHostsFiles.join(' ') : `${HOME}/.ssh/known_hosts ${HOME}/.ssh/known_hosts2`],
    stricthostkeychecking: [strict!],
  }
}

const cases = readdirSync(corpus).filter((d) => statSync(path.join(corpus, d)).isDirectory()).sort()
let checks = 0
const mismatches: string[] = []

test('the corpus has at least 20 cases', () => assert.ok(cases.length >= 20, `${cases.length} cases`))

for (const name of cases) {
  test(`ssh_config corpus ${name} resolves as ssh -G does`, (t) => {
    const dir = copyCase(name)
    const config = path.join(dir, 'config')
    const hosts = readFileSync(path.join(dir, 'hosts'), 'utf8').split('\n').filter(Boolean)
    const cwd = process.cwd()
    process.chdir(dir) // a relative IdentityFile is relative to ssh's working directory
    try {
      const before = mismatches.length
      for (const host of hosts) {
        const want = sshG(config, host)
        const got = dops(config, host)
        for (const k of KEYS) {
          checks++
          const w = want[k] ?? []
          if (JSON.stringify(got[k]) !== JSON.stringify(w)) mismatches.push(`${name} ${host} ${k}: dops ${JSON.stringify(got[k])} ssh ${JSON.stringify(w)}`)
        }
      }
      assert.deepEqual(mismatches.slice(before), [])
    } finally {
      process.chdir(cwd)
    }
    t.diagnostic(`${hosts.length} hosts`)
  })
}

test('corpus summary', (t) => {
  t.diagnostic(`${cases.length} cases, ${checks} checks, ${mismatches.length} mismatches`)
  for (const m of mismatches) t.diagnostic(m)
})
