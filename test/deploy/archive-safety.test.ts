/**
 * Hostile revision archives, built with Python's zipfile and tarfile: nothing is ever written outside the directory
 * dops unpacks into. Links are never followed, an entry under a symbolic link, a name given twice and a hard link are
 * refused with the entry's name, before anything is unpacked.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {InvalidInputError} from '../../src/errors.js'
import {bundleRevision} from '../../src/deploy/prepare.js'
import {checkRevision} from '../../src/deploy/validate-revision.js'
import {dops} from '../helpers.js'

const APPSPEC = 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\n'

/** entries: [name, kind, data] with kind file | link | dir | hardlink; written in this order (duplicates kept). */
type Entry = [string, 'file' | 'link' | 'dir' | 'hardlink', string]

function build(file: string, entries: Entry[]): string {
  const py = `
import json, sys, tarfile, zipfile, io, time
out, entries = sys.argv[1], json.loads(sys.argv[2])
if out.endswith('.zip'):
    z = zipfile.ZipFile(out, 'w')
    for name, kind, data in entries:
        i = zipfile.ZipInfo(name + ('/' if kind == 'dir' else ''), time.localtime()[:6])
        i.create_system = 3
        i.external_attr = ({'file': 0o100644, 'link': 0o120777, 'dir': 0o040755}[kind]) << 16
        z.writestr(i, '' if kind == 'dir' else data)
    z.close()
else:
    t = tarfile.open(out, 'w:gz' if out.endswith('.tgz') else 'w')
    for name, kind, data in entries:
        i = tarfile.TarInfo(name)
        i.mode = 0o755 if kind == 'dir' else 0o644
        if kind == 'file':
            i.size = len(data.encode()); t.addfile(i, io.BytesIO(data.encode()))
        else:
            i.type = {'link': tarfile.SYMTYPE, 'dir': tarfile.DIRTYPE, 'hardlink': tarfile.LNKTYPE}[kind]
            i.linkname = data if kind != 'dir' else ''
            t.addfile(i)
    t.close()
`
  execFileSync('python3', ['-c', py, file, JSON.stringify(entries)])
  return file
}

/** A victim file and directory outside the revision, and a deep `../` path that reaches the victim from any temp dir. */
function victims() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-victim-'))
  const file = path.join(dir, 'precious.txt')
  writeFileSync(file, 'precious\n')
  const sub = path.join(dir, 'dir')
  mkdirSync(sub)
  const up = '../'.repeat(16) + file.slice(1)
  const upDir = '../'.repeat(16) + sub.slice(1)
  return {dir, file, sub, up, upDir, untouched: () => readFileSync(file, 'utf8') === 'precious\n' && readdirSync(sub).length === 0}
}

const cases = (v: ReturnType<typeof victims>): Array<{name: string; entries: Entry[]; entry: RegExp; tarOnly?: boolean}> => [
  {name: 'absolute link, then a file of the same name', entries: [['appspec.yml', 'file', APPSPEC], ['site/x', 'link', v.file], ['site/x', 'file', 'pwned\n']], entry: /`site\/x`/},
  {name: '../ link, then a file of the same name', entries: [['appspec.yml', 'file', APPSPEC], ['site/x', 'link', v.up], ['site/x', 'file', 'pwned\n']], entry: /`site\/x`/},
  {name: 'absolute link to a directory, then a file under it', entries: [['appspec.yml', 'file', APPSPEC], ['site/d', 'link', v.sub], ['site/d/planted', 'file', 'pwned\n']], entry: /`site\/d\/planted`/},
  {name: '../ link to a directory, then a file under it', entries: [['appspec.yml', 'file', APPSPEC], ['site/d', 'link', v.upDir], ['site/d/planted', 'file', 'pwned\n']], entry: /`site\/d\/planted`/},
  {name: 'a file given twice', entries: [['appspec.yml', 'file', APPSPEC], ['site/a', 'file', 'one\n'], ['site/./a', 'file', 'two\n']], entry: /`site\/(\.\/)?a`/},
  {name: 'a hard link to an outside file, then a file of its name', entries: [['appspec.yml', 'file', APPSPEC], ['site/h', 'hardlink', v.file], ['site/h', 'file', 'pwned\n']], entry: /`site\/h`/, tarOnly: true},
  {name: 'a hard link alone', entries: [['appspec.yml', 'file', APPSPEC], ['site/index.html', 'file', 'hi\n'], ['site/h', 'hardlink', 'site/index.html']], entry: /`site\/h` is a hard link/, tarOnly: true},
]

for (const ext of ['zip', 'tar', 'tgz']) {
  test(`hostile .${ext} revisions are refused, naming the entry, and nothing outside is written`, async () => {
    const v = victims()
    for (const c of cases(v)) {
      if (c.tarOnly && ext === 'zip') continue
      const work = mkdtempSync(path.join(os.tmpdir(), 'dops-hostile-'))
      const file = build(path.join(work, `rev.${ext}`), c.entries)
      const err = await bundleRevision(file, path.join(work, 'cache')).then(
        () => undefined,
        (e: Error) => e,
      )
      assert.ok(err instanceof InvalidInputError, `${c.name}: refused as bad input (got ${err?.stack ?? 'success'})`)
      assert.match(err.message + (err.problems ?? []).map((p) => p.message).join('\n'), c.entry, c.name)
      assert.ok(v.untouched(), `${c.name}: the outside file and directory are untouched`)
      assert.equal(existsSync(path.join(work, 'cache')), false, `${c.name}: nothing was bundled`)
      // the check alone (validate, deploy --plan) says the same without unpacking anything
      await assert.rejects(checkRevision(file), c.entry)
    }
  })
}

test('dops validate --appspec of a hostile zip: exit 2, the entry named, no stack trace, the outside file untouched', async () => {
  const v = victims()
  const file = build(path.join(mkdtempSync(path.join(os.tmpdir(), 'dops-hostile-')), 'rev.zip'), [['appspec.yml', 'file', APPSPEC], ['site/x', 'link', v.file], ['site/x', 'file', 'pwned\n']])
  const r = await dops(['validate', '--appspec', file])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /site\/x/)
  assert.doesNotMatch(r.stderr, /\n\s+at |bug in dops/)
  assert.ok(v.untouched())
})

test('links pointing outside the revision stay links: bundled as links, never followed (directory and archive)', async () => {
  const v = victims()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-links-'))
  mkdirSync(path.join(dir, 'site'))
  writeFileSync(path.join(dir, 'appspec.yml'), APPSPEC)
  writeFileSync(path.join(dir, 'site', 'index.html'), 'hi\n')
  symlinkSync(v.file, path.join(dir, 'site', 'abs'))
  symlinkSync(v.sub, path.join(dir, 'site', 'absdir'))
  symlinkSync('../../../../../../../../../../../../etc/passwd', path.join(dir, 'site', 'up'))
  const b = await bundleRevision(dir, mkdtempSync(path.join(os.tmpdir(), 'dops-cache-')))
  const listing = execFileSync('tar', ['-tvzf', b.file], {encoding: 'utf8'})
  assert.match(listing, /^l.* site\/abs -> /m)
  assert.match(listing, /^l.* site\/absdir -> /m)
  assert.doesNotMatch(listing, /^-.* site\/abs$|site\/absdir\//m, 'the linked file and directory are not read into the bundle')
  // the same links in a zip unpack as links and bundle to the same revision
  const zip = build(path.join(mkdtempSync(path.join(os.tmpdir(), 'dops-zip-')), 'rev.zip'), [['appspec.yml', 'file', APPSPEC], ['site/index.html', 'file', 'hi\n'], ['site/abs', 'link', v.file], ['site/absdir', 'link', v.sub], ['site/up', 'link', '../../../../../../../../../../../../etc/passwd']])
  const z = await bundleRevision(zip, mkdtempSync(path.join(os.tmpdir(), 'dops-cache-')))
  assert.match(execFileSync('tar', ['-tvzf', z.file], {encoding: 'utf8'}), /^l.* site\/up -> \.\.\//m)
  assert.ok(v.untouched())
})

test('the unpacker alone (without the listing check) never writes through a link nor over a name', async () => {
  const {extractRevision} = await import('../../src/deploy/extract.js')
  const v = victims()
  for (const ext of ['zip', 'tar'] as const) {
    for (const c of cases(v).filter((x) => !x.tarOnly && !x.name.includes('twice'))) {
      const work = mkdtempSync(path.join(os.tmpdir(), 'dops-hostile-'))
      const file = build(path.join(work, `rev.${ext}`), c.entries)
      const dest = mkdtempSync(path.join(os.tmpdir(), 'dops-unpack-test-'))
      await assert.rejects(extractRevision(file, ext, dest, ''), c.entry, `${ext}: ${c.name}`)
      assert.ok(v.untouched(), `${ext}: ${c.name}: the outside file and directory are untouched`)
    }
  }
})

test('deploy --plan can read an archive without unpacking it: the same revision id, install plan and hooks as its bundle', async () => {
  const {inspectRevision} = await import('../../src/deploy/validate-revision.js')
  const {prepareRevision} = await import('../../src/deploy/prepare.js')
  const {hostLayout} = await import('../../src/deploy/host-layout.js')
  const work = mkdtempSync(path.join(os.tmpdir(), 'dops-plan-'))
  const zip = build(path.join(work, 'rev.zip'), [['appspec.yml', 'file', APPSPEC], ['site/index.html', 'file', 'hi\n'], ['site/l', 'link', '/etc/passwd']])
  const layout = hostLayout({project: 'p', env: 'e', app: 'web'})
  const direct = await prepareRevision(zip, layout, {inspected: await inspectRevision(zip)})
  const b = await bundleRevision(zip, path.join(work, 'cache'))
  const bundled = await prepareRevision(b.file, layout, {inspected: b.inspected})
  assert.equal(direct.id, bundled.id)
  assert.deepEqual(direct.ops, bundled.ops)
  assert.equal(direct.install, bundled.install)
})
