import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {parseAppspec} from '../../src/deploy/appspec/parse.js'
import {bundleDirectory} from '../../src/deploy/bundle.js'
import {planInstall} from '../../src/deploy/install-plan.js'
import {openRevision} from '../../src/deploy/revision.js'
import {checkRevision} from '../../src/deploy/validate-revision.js'
import {formatProblem} from '../../src/errors.js'
import {dops, json, ROOT} from '../helpers.js'

const sample = path.join(ROOT, 'test/fixtures/revisions/sample-app')
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dops-rev-'))

test('a directory, its bundle, a tar with a single top-level directory and a zip have the same revision id', async () => {
  const dir = tmp()
  const fromDir = await openRevision(sample)
  assert.equal(fromDir.appspecName, 'appspec.yml')
  const b = await bundleDirectory(sample, {cwd: dir})
  assert.equal(b.id, fromDir.id)
  assert.match(path.basename(b.file), new RegExp(`^sample-app-${fromDir.id.slice(0, 12)}\\.tgz$`))
  const again = await bundleDirectory(sample, {cwd: dir, out: 'again.tgz'})
  assert.deepEqual(readFileSync(again.file), readFileSync(b.file), 'bundles are reproducible')
  const fromTgz = await openRevision(b.file)
  assert.equal(fromTgz.id, fromDir.id)
  // a tar whose only top-level entry is a directory holding the appspec: that directory is the root
  const nested = path.join(dir, 'nested')
  mkdirSync(nested)
  cpSync(sample, path.join(nested, 'app-1.0'), {recursive: true})
  const tarFile = path.join(dir, 'app.tar')
  execFileSync('tar', ['-cf', tarFile, '-C', nested, 'app-1.0'])
  const fromTar = await openRevision(tarFile)
  assert.equal(fromTar.strippedPrefix, 'app-1.0/')
  assert.equal(fromTar.id, fromDir.id)
  const zipFile = path.join(dir, 'app.zip')
  execFileSync('python3', ['-c', `import zipfile,os,sys
z=zipfile.ZipFile(sys.argv[1],'w')
for r,ds,fs in os.walk(sys.argv[2]):
  for f in fs:
    p=os.path.join(r,f); i=zipfile.ZipInfo.from_file(p, os.path.relpath(p, sys.argv[2])); z.writestr(i, open(p,'rb').read())
z.close()`, zipFile, sample])
  const fromZip = await openRevision(zipFile)
  assert.equal(fromZip.entries.get('scripts/start_server.sh')?.mode, 0o755)
  assert.equal(fromZip.id, fromDir.id)
  // every archive form bundles, for a deploy, to the same content
  const {bundleRevision} = await import('../../src/deploy/prepare.js')
  for (const f of [zipFile, tarFile, b.file]) assert.equal((await bundleRevision(f, path.join(dir, 'cache'))).id, fromDir.id, f)
})

test('a checkout made with umask 002 (group-writable files) has the id of its bundle and of the same files made with umask 022', async () => {
  const dir = tmp()
  const copy = path.join(dir, 'sample-app')
  cpSync(sample, copy, {recursive: true})
  const widen = (p: string) => {
    const st = statSync(p)
    chmodSync(p, (st.mode & 0o777) | 0o020)
    if (st.isDirectory()) for (const n of readdirSync(p)) widen(path.join(p, n))
  }
  widen(copy)
  assert.equal(statSync(path.join(copy, 'appspec.yml')).mode & 0o777, 0o664, 'the copy is group-writable')
  const id = (await openRevision(copy)).id
  const b = await bundleDirectory(copy, {cwd: dir})
  assert.equal(b.id, id)
  assert.equal((await openRevision(b.file)).id, id, 'the bundle (modes 0644) has the directory\'s id')
  assert.equal(id, (await openRevision(sample)).id, 'the same files with 0644 modes')
})

test('an archive entry escaping the revision is refused', async () => {
  const dir = tmp()
  writeFileSync(path.join(dir, 'evil'), 'x')
  const tarFile = path.join(dir, 'evil.tar')
  execFileSync('tar', ['-cf', tarFile, '-C', dir, '--transform', 's,^evil,../../etc/evil,', 'evil'])
  await assert.rejects(openRevision(tarFile), /escapes the revision; refusing it/)
})

test('install plan: directory contents, files into their destination directory, whole bundle, duplicates refused', async () => {
  const rev = await openRevision(sample)
  const spec = (files: string) => parseAppspec('a.yml', `version: 0.0\nos: linux\nfiles:\n${files}`).appspec!
  const whole = planInstall(spec('  - source: /\n    destination: /srv/app\n'), rev)
  assert.deepEqual(whole.problems, [])
  assert.deepEqual(whole.ops.filter((o) => o.kind === 'copy').map((o) => o.destination), ['/srv/app/appspec.yml', '/srv/app/index.html', '/srv/app/scripts/install_dependencies.sh', '/srv/app/scripts/start_server.sh', '/srv/app/scripts/stop_server.sh'])
  const scripts = planInstall(spec('  - source: scripts\n    destination: /opt/s\n  - source: index.html\n    destination: /var/www/html\n'), rev)
  assert.deepEqual(scripts.ops.map((o) => `${o.kind} ${o.destination}`), ['mkdir /opt/s', 'copy /opt/s/install_dependencies.sh', 'copy /opt/s/start_server.sh', 'copy /opt/s/stop_server.sh', 'mkdir /var/www/html', 'copy /var/www/html/index.html'])
  const dup = planInstall(spec('  - source: /\n    destination: /srv\n  - source: index.html\n    destination: /srv\n'), rev)
  assert.match(dup.problems.map(formatProblem).join('\n'), /two source files named index\.html and index\.html are installed to the same destination \(\/srv\/index\.html\)/)
  const missing = planInstall(spec('  - source: nope\n    destination: /srv\n'), rev)
  assert.match(missing.problems[0]!.message, /source `nope` does not exist in the revision/)
})

test('checking a revision: missing scripts and sources with their appspec line, scripts without #!', async () => {
  const dir = tmp()
  cpSync(sample, dir, {recursive: true})
  writeFileSync(path.join(dir, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: missing.txt\n    destination: /srv\nhooks:\n  AfterInstall:\n    - location: scripts/nope.sh\n      timeout: 60\n    - location: noshebang.sh\n      timeout: 60\n')
  writeFileSync(path.join(dir, 'noshebang.sh'), 'echo hi\n')
  const r = await checkRevision(dir)
  const text = r.problems.map(formatProblem).join('\n')
  assert.match(text, /appspec\.yml:4:13: files\[0\]\.source: source `missing\.txt` does not exist in the revision/)
  assert.match(text, /appspec\.yml:8:17: hooks\.AfterInstall\[0\]\.location: script scripts\/nope\.sh does not exist in the revision/)
  assert.match(text, /appspec\.yml:10:17: warning: hooks\.AfterInstall\[1\]\.location: script noshebang\.sh has no #! line/)
})

test('dops validate --appspec: exit 0 with warnings on stderr, 2 with problems; dops bundle refuses an invalid revision', async () => {
  const ok = await dops(['validate', '--appspec', sample, '--json'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(json<{revision: {files: number}}>(ok).revision.files, 5)
  const compat = await dops(['validate', '--appspec', path.join(ROOT, 'test/fixtures/appspecs/invalid/unquoted-mode.yml'), '--compat'])
  assert.equal(compat.code, 0)
  assert.match(compat.stderr, /unquoted-mode\.yml:7:11: warning: permissions\[0\]\.mode: mode 0644 is not quoted/)
  const strict = await dops(['validate', '--appspec', path.join(ROOT, 'test/fixtures/appspecs/invalid/unquoted-mode.yml')])
  assert.equal(strict.code, 2)
  assert.doesNotMatch(strict.stderr, /\n\s+at /)
  const dir = tmp()
  cpSync(sample, dir, {recursive: true})
  writeFileSync(path.join(dir, 'appspec.yml'), 'version: "0.0"\nos: linux\n')
  const out = tmp()
  const b = await dops(['bundle', dir], {cwd: out})
  assert.equal(b.code, 2)
  assert.match(b.stderr, /appspec\.yml:1:10: version: version must be the number 0\.0/)
  const good = await dops(['bundle', sample, '--json'], {cwd: out})
  assert.equal(good.code, 0, good.stderr)
  assert.equal(json<{files: number}>(good).files, 5)
})

test('dops validate of a plan checks its apps revisions', async () => {
  const dir = tmp()
  cpSync(sample, path.join(dir, 'app'), {recursive: true})
  writeFileSync(path.join(dir, 'app', 'appspec.yml'), 'version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: scripts/start_server.sh\n')
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: t\napps:\n  web: {source: ./app}\n  later: {source: ./build, build: make}\nenvironments:\n  e:\n    groups:\n      g: {hosts: [10.0.0.1], apps: [web, later]}\n')
  const r = await dops(['validate'], {cwd: dir})
  assert.equal(r.code, 2)
  assert.match(r.stderr, /app\/appspec\.yml:4:3: hooks\.AfterInstal: unknown lifecycle event `AfterInstal`; did you mean `AfterInstall`\?/)
  assert.match(r.stderr, /dops\.yml:5:19: warning: apps\.later\.source: .*build does not exist yet; `make` builds it before a deploy/)
})
