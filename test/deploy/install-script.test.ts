/**
 * The Install fragment's permission steps, run by a real `sh` on this machine against a temporary tree. SELinux
 * cannot be turned on here, so `selinuxenabled`, `semanage` and `restorecon` are stand-ins on PATH that log their
 * arguments: this checks what dops asks of them, in which order, with which quoting, and the cleanup of the next
 * Install. (On a host without SELinux the real path is covered end to end in deploy-host.test.ts.)
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import type {Appspec} from '../../src/deploy/appspec/types.js'
import {hostLayout} from '../../src/deploy/host-layout.js'
import {buildInstallScript} from '../../src/deploy/steps/install-script.js'

function setup() {
  const t = mkdtempSync(path.join(os.tmpdir(), 'dops-install-'))
  const layout = hostLayout('app', path.join(t, 'root'))
  const archive = layout.archive('r1')
  mkdirSync(archive, {recursive: true})
  writeFileSync(path.join(archive, 'a.b(1).html'), 'x\n')
  const bin = path.join(t, 'bin')
  mkdirSync(bin)
  const log = path.join(t, 'calls.log')
  for (const [name, body] of Object.entries({selinuxenabled: 'exit 0', semanage: `echo "semanage $*" >> ${log}`, restorecon: `echo "restorecon $*" >> ${log}`, chown: `echo "chown $*" >> ${log}`})) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`)
    chmodSync(path.join(bin, name), 0o755)
  }
  const dest = path.join(t, 'www')
  return {t, layout, dest, bin, log}
}

test('SELinux contexts: semanage fcontext with the path escaped as a regex, restorecon, between chmod and chown; removed by the next Install', () => {
  const {layout, dest, bin, log} = setup()
  const file = path.join(dest, 'a.b(1).html')
  const appspec: Appspec = {version: 0, os: 'linux', files: [], hooks: {}, permissions: [{object: dest, pattern: '**', except: [], type: ['file'], mode: '640', owner: 'nobody', acls: [], context: {name: 'system_u', type: 'httpd_sys_content_t', range: 's0'}}]}
  const script = buildInstallScript({appspec, ops: [{kind: 'mkdir', destination: dest, mapping: 0}, {kind: 'copy', source: 'a.b(1).html', destination: file, mapping: 0}], permissions: [{path: file, kind: 'file', permission: 0}], layout, revision: 'r1', behavior: 'OVERWRITE'})
  const env = {...process.env, PATH: `${bin}:${process.env.PATH}`}
  const r = spawnSync('sh', ['-c', script], {env, encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  assert.equal((readFileSync(file).length), 2)
  const escaped = file.replace(/[.[\]()*+?^${}|\\]/g, '\\$&')
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [`semanage fcontext -a -t httpd_sys_content_t -s system_u -r s0 ${escaped}`, `restorecon ${file}`, `chown nobody ${file}`])
  assert.ok(readFileSync(layout.cleanup, 'utf8').split('\n').includes(`semanage:${escaped}`), 'recorded for the next Install')
  // the next Install (of nothing) removes the file and the fcontext rule it added
  const next = buildInstallScript({appspec: {...appspec, permissions: []}, ops: [], permissions: [], layout, revision: 'r1', behavior: 'OVERWRITE'})
  assert.equal(spawnSync('sh', ['-c', next], {env, encoding: 'utf8'}).status, 0)
  assert.ok(readFileSync(log, 'utf8').includes(`semanage fcontext -d ${escaped}`))
  assert.equal(existsSync(file), false)
})

test('a permission step that fails stops the Install (no silent partial permissions)', () => {
  const {layout, dest, bin} = setup()
  writeFileSync(path.join(bin, 'chown'), '#!/bin/sh\necho "chown: invalid user" >&2\nexit 1\n')
  const file = path.join(dest, 'a.b(1).html')
  const appspec: Appspec = {version: 0, os: 'linux', files: [], hooks: {}, permissions: [{object: dest, pattern: '**', except: [], type: ['file'], owner: 'no-such-user', acls: []}]}
  const script = buildInstallScript({appspec, ops: [{kind: 'mkdir', destination: dest, mapping: 0}, {kind: 'copy', source: 'a.b(1).html', destination: file, mapping: 0}], permissions: [{path: file, kind: 'file', permission: 0}], layout, revision: 'r1', behavior: 'OVERWRITE'})
  const r = spawnSync('sh', ['-c', script], {env: {...process.env, PATH: `${bin}:${process.env.PATH}`}, encoding: 'utf8'})
  assert.equal(r.status, 1)
  assert.match(r.stderr, /chown: invalid user/)
})
