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
import {buildHookScript} from '../../src/deploy/steps/hooks-script.js'
import {buildReceiveRevision} from '../../src/deploy/steps/upload.js'
import {InvalidInputError} from '../../src/errors.js'
import {createHash} from 'node:crypto'

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

/** Strings that ended a here-document or a quoted word in earlier generated scripts. */
const HOSTILE = ["x\nDOPS_HOOK_EOF\ntouch PWNED\n", "x\nDOPS_FILES\ntouch PWNED\nDOPS_FILES", "it's\"$(touch PWNED)\"`touch PWNED`", 'a\tb c\\d *?[x]', "'\n'\\''", '-n']

test('the upload script writes any hook text byte for byte: no here-document to break out of (real sh)', () => {
  const t = mkdtempSync(path.join(os.tmpdir(), 'dops-upload-'))
  const layout = hostLayout('app', path.join(t, 'root'))
  const src = path.join(t, 'src')
  mkdirSync(src)
  writeFileSync(path.join(src, 'f'), 'x\n')
  const bundle = spawnSync('tar', ['-czf', '-', '-C', src, 'f']).stdout
  const sha = createHash('sha256').update(bundle).digest('hex')
  for (const [i, h] of HOSTILE.entries()) {
    const text = `#!/bin/sh\necho ${h}\n${h}`
    const script = buildReceiveRevision(layout, `r${i}`, sha, {ApplicationStart: text})
    assert.doesNotMatch(script, /<</, 'no here-document in the upload script')
    const r2 = spawnSync('sh', ['-c', script], {input: bundle, cwd: t, encoding: 'utf8'})
    assert.equal(r2.status, 0, r2.stderr)
    assert.equal(readFileSync(path.join(layout.hooks(`r${i}`), 'ApplicationStart.sh'), 'utf8'), text, JSON.stringify(h))
    assert.equal(existsSync(path.join(t, 'PWNED')), false, JSON.stringify(h))
  }
})

test('install and hook scripts: paths are quoted words (TAB, quotes, globs install as named); control characters are refused', () => {
  const {layout, dest} = setup()
  const archive = layout.archive('r1')
  const names = ['tab\there', "quote'd \"x\" $(touch PWNED)", 'star*?[a]', 'DOPS_FILES', '-dash']
  for (const n of names) writeFileSync(path.join(archive, n), `${n}\n`)
  const appspec: Appspec = {version: 0, os: 'linux', files: [], hooks: {}, permissions: []}
  const ops = [{kind: 'mkdir' as const, destination: dest, mapping: 0}, ...names.map((n) => ({kind: 'copy' as const, source: n, destination: path.join(dest, n), mapping: 0}))]
  const script = buildInstallScript({appspec, ops, permissions: [], layout, revision: 'r1'})
  assert.doesNotMatch(script, /<</, 'no here-document in the Install fragment')
  const r = spawnSync('sh', ['-c', script], {encoding: 'utf8', cwd: dest.replace(/www$/, '')})
  assert.equal(r.status, 0, r.stderr)
  for (const n of names) assert.equal(readFileSync(path.join(dest, n), 'utf8'), `${n}\n`, n)
  assert.equal(existsSync(path.join(dest, '..', 'PWNED')), false)
  // a line break in a destination or a hook location is bad input, before any script is made
  assert.throws(() => buildInstallScript({appspec, ops: [{kind: 'copy', source: 'f', destination: '/srv/a\n/etc/passwd', mapping: 0}], permissions: [], layout, revision: 'r1'}), (e: Error) => e instanceof InvalidInputError && /control character "\\n"/.test(e.message))
  assert.throws(() => buildHookScript('AfterInstall', '/a', [{location: 'x\nDOPS_HOOK_EOF\nrm -rf /', timeoutSec: 5}]), (e: Error) => e instanceof InvalidInputError && /AfterInstall script location/.test(e.message))
  // a hook location with a TAB and quotes runs the script of that name
  const hook = buildHookScript('AfterInstall', archive, [{location: "tab\there", timeoutSec: 5}])
  writeFileSync(path.join(archive, 'tab\there'), `#!/bin/sh\necho ran > ${JSON.stringify(path.join(dest, 'ran'))}\n`)
  const h = spawnSync('sh', ['-c', hook], {encoding: 'utf8'})
  assert.equal(h.status, 0, h.stderr + h.stdout)
  assert.equal(readFileSync(path.join(dest, 'ran'), 'utf8'), 'ran\n')
})

test('an Install that fails midway says why and leaves what it made in cleanup, so the next Install removes it', () => {
  const {layout, dest} = setup()
  const archive = layout.archive('r1')
  writeFileSync(path.join(archive, 'one'), '1\n')
  mkdirSync(path.join(archive, 'sub'))
  writeFileSync(path.join(archive, 'sub', 'two'), '2\n')
  const appspec: Appspec = {version: 0, os: 'linux', files: [], hooks: {}, permissions: []}
  mkdirSync(dest)
  writeFileSync(path.join(dest, 'sub'), 'a file where the revision has a directory\n')
  const ops = [{kind: 'copy' as const, source: 'one', destination: path.join(dest, 'made', 'one'), mapping: 0}, {kind: 'mkdir' as const, destination: path.join(dest, 'sub'), mapping: 0}, {kind: 'copy' as const, source: 'sub/two', destination: path.join(dest, 'sub', 'two'), mapping: 0}]
  const r = spawnSync('sh', ['-c', buildInstallScript({appspec, ops, permissions: [], layout, revision: 'r1', behavior: 'OVERWRITE'})], {encoding: 'utf8'})
  assert.equal(r.status, 1)
  assert.match(r.stderr, /Install: cannot create the directory .*\/www\/sub/)
  assert.equal(existsSync(layout.cleanup + '.new'), false)
  assert.ok(readFileSync(layout.cleanup, 'utf8').split('\n').includes(path.join(dest, 'made')), 'the directory it made is recorded for the next Install')
})
