/**
 * A revision: a directory, .tar, .tar.gz/.tgz or .zip with appspec.yml (or .yaml) at its root, or inside a single
 * top-level directory (stripped, as the agent does). Read into a content listing with a content-hash id that is the
 * same for a directory and for the bundle made from it. Entries that would escape the revision are refused.
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {lstat, readdir, readFile, readlink, stat} from 'node:fs/promises'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {InvalidInputError} from '../errors.js'
import {APPSPEC_NAMES} from './appspec/parse.js'

export type RevisionFormat = 'directory' | 'tar' | 'tgz' | 'zip'

export interface RevisionEntry {
  /** relative to the revision root, `/`-separated, no leading `./` */
  path: string
  type: 'file' | 'dir' | 'symlink'
  mode: number
  size: number
  sha256?: string
  linkTarget?: string
  /** kept for small files (appspec, scripts) */
  content?: Buffer
}

export interface Revision {
  source: string
  format: RevisionFormat
  /** prefix stripped from archive paths (a single top-level directory), or '' */
  strippedPrefix: string
  entries: Map<string, RevisionEntry>
  /** sha256 of the content listing; the same for a directory and its bundle */
  id: string
  appspecName?: string
}

const KEEP_CONTENT = 256 * 1024

export function formatOf(file: string): RevisionFormat | undefined {
  if (/\.(tar\.gz|tgz)$/i.test(file)) return 'tgz'
  if (/\.tar$/i.test(file)) return 'tar'
  if (/\.zip$/i.test(file)) return 'zip'
  return undefined
}

/** An archive entry's path relative to the revision: `./`, `.` and empty segments dropped; absolute or `..` refused. */
export function safeRelative(raw: string, source: string): string {
  const parts = raw.replace(/\\/g, '/').split('/')
  if (raw.startsWith('/') || raw.startsWith('\\') || parts.includes('..')) throw new InvalidInputError(`${source}: archive entry \`${raw}\` escapes the revision; refusing it`)
  return parts.filter((s) => s !== '' && s !== '.').join('/')
}

/**
 * The rules that make unpacking an archive harmless, checked on its listing before anything is written: each name
 * once (a second entry of a name could write through the first, a link), nothing under a symbolic link (it would be
 * written wherever the link points). Links themselves are kept as links and never followed.
 */
export function checkArchiveEntries(entries: Array<{path: string; raw: string; type: RevisionEntry['type']}>, source: string): void {
  const seen = new Map<string, {raw: string; type: RevisionEntry['type']}>()
  const links = new Set<string>()
  for (const e of entries) {
    if (e.path === '') continue
    const first = seen.get(e.path)
    // a directory named twice is harmless (tar lists one again after its contents); anything else is not
    if (first && !(first.type === 'dir' && e.type === 'dir')) {
      throw new InvalidInputError(`${source}: archive entry \`${e.raw}\` repeats the name \`${first.raw}\`; an archive gives each name once; refusing the revision`)
    }
    seen.set(e.path, {raw: e.raw, type: e.type})
    const parts = e.path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      if (links.has(parent)) throw new InvalidInputError(`${source}: archive entry \`${e.raw}\` is under the symbolic link \`${parent}\`; it would be written wherever the link points; refusing the revision`)
    }
    if (e.type === 'symlink') links.add(e.path)
  }
}

const REFUSED_TAR_TYPES: Record<string, string> = {Link: 'a hard link', CharacterDevice: 'a character device', BlockDevice: 'a block device', FIFO: 'a FIFO'}

/** The revision entry type of a tar entry; hard links and special files are refused, other metadata skipped. */
export function tarEntryType(e: {type: string; path: string}, source: string): RevisionEntry['type'] | undefined {
  const refused = REFUSED_TAR_TYPES[e.type]
  if (refused) throw new InvalidInputError(`${source}: archive entry \`${e.path}\` is ${refused}; a revision holds files, directories and symbolic links only; refusing the revision`)
  return e.type === 'Directory' ? 'dir' : e.type === 'SymbolicLink' ? 'symlink' : e.type === 'File' || e.type === 'OldFile' || e.type === 'ContiguousFile' ? 'file' : undefined
}

async function hashStream(s: Readable, size: number): Promise<{sha256: string; content?: Buffer}> {
  const h = createHash('sha256')
  const chunks: Buffer[] = []
  for await (const c of s) {
    h.update(c as Buffer)
    if (size <= KEEP_CONTENT) chunks.push(c as Buffer)
  }
  return {sha256: h.digest('hex'), content: size <= KEEP_CONTENT ? Buffer.concat(chunks) : undefined}
}

async function readDirectory(root: string): Promise<RevisionEntry[]> {
  const out: RevisionEntry[] = []
  const walk = async (dir: string, rel: string) => {
    for (const d of (await readdir(dir, {withFileTypes: true})).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, d.name)
      const r = rel ? `${rel}/${d.name}` : d.name
      const st = await lstat(abs)
      if (st.isSymbolicLink()) out.push({path: r, type: 'symlink', mode: st.mode & 0o7777, size: 0, linkTarget: await readlink(abs)})
      else if (st.isDirectory()) {
        out.push({path: r, type: 'dir', mode: st.mode & 0o7777, size: 0})
        await walk(abs, r)
      } else if (st.isFile()) out.push({path: r, type: 'file', mode: st.mode & 0o7777, size: st.size, ...(await hashStream(createReadStream(abs), st.size))})
    }
  }
  await walk(root, '')
  return out
}

async function readTar(file: string, gzip: boolean): Promise<RevisionEntry[]> {
  const tar = await import('tar')
  const out: RevisionEntry[] = []
  const raws: Array<{path: string; raw: string; type: RevisionEntry['type']}> = []
  const pending: Promise<void>[] = []
  let refused: Error | undefined
  await tar.list({
    file,
    gzip: gzip || undefined,
    onReadEntry: (e) => {
      if (refused) return void e.resume()
      let rel: string
      let type: RevisionEntry['type'] | undefined
      try {
        type = tarEntryType(e, file)
        if (!type) return void e.resume()
        rel = safeRelative(e.path, file)
      } catch (err) {
        // thrown from a stream callback it would escape the promise: keep it for after the listing
        refused = err as Error
        return void e.resume()
      }
      const entry: RevisionEntry = {path: rel, type, mode: (e.mode ?? 0o644) & 0o7777, size: e.size ?? 0, linkTarget: e.linkpath || undefined}
      out.push(entry)
      raws.push({path: rel, raw: e.path, type})
      if (type === 'file') pending.push(hashStream(e as unknown as Readable, entry.size).then((h) => void Object.assign(entry, h)))
      else e.resume()
    },
  })
  await Promise.all(pending)
  if (refused) throw refused
  checkArchiveEntries(raws, file)
  return out.filter((e) => e.path !== '')
}

async function readZip(file: string): Promise<RevisionEntry[]> {
  const yauzl = await import('yauzl')
  const zip = await new Promise<import('yauzl').ZipFile>((resolve, reject) => yauzl.open(file, {lazyEntries: true, autoClose: true}, (err, z) => (err ? reject(err) : resolve(z))))
  const out: RevisionEntry[] = []
  const raws: Array<{path: string; raw: string; type: RevisionEntry['type']}> = []
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject)
    zip.on('end', resolve)
    zip.on('entry', (e: import('yauzl').Entry) => {
      const isDir = e.fileName.endsWith('/')
      const unixMode = (e.externalFileAttributes >>> 16) & 0o177777
      const isLink = (unixMode & 0o170000) === 0o120000
      let rel: string
      try {
        rel = safeRelative(e.fileName, file)
      } catch (err) {
        return reject(err)
      }
      const entry: RevisionEntry = {path: rel, type: isDir ? 'dir' : isLink ? 'symlink' : 'file', mode: unixMode & 0o7777 || (isDir ? 0o755 : 0o644), size: e.uncompressedSize}
      out.push(entry)
      raws.push({path: rel, raw: e.fileName, type: entry.type})
      if (isDir) return zip.readEntry()
      zip.openReadStream(e, (err, s) => {
        if (err || !s) return reject(err)
        hashStream(s, isLink ? 0 : entry.size)
          .then((h) => {
            if (isLink) entry.linkTarget = h.content?.toString('utf8')
            else Object.assign(entry, h)
            zip.readEntry()
          })
          .catch(reject)
      })
    })
    zip.readEntry()
  })
  checkArchiveEntries(raws, file)
  // zips often omit directory entries: add the implied ones
  const dirs = new Set(out.filter((e) => e.type === 'dir').map((e) => e.path))
  for (const e of [...out]) {
    const parts = e.path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/')
      if (!dirs.has(d)) {
        dirs.add(d)
        out.push({path: d, type: 'dir', mode: 0o755, size: 0})
      }
    }
  }
  return out.filter((e) => e.path !== '')
}

/** The agent's rule: one top-level directory holding an appspec file becomes the root. */
function stripPrefix(entries: RevisionEntry[]): {entries: RevisionEntry[]; prefix: string} {
  if (entries.some((e) => APPSPEC_NAMES.includes(e.path))) return {entries, prefix: ''}
  const top = new Set(entries.map((e) => e.path.split('/')[0]!))
  if (top.size !== 1) return {entries, prefix: ''}
  const dir = [...top][0]!
  if (!entries.some((e) => e.type === 'file' && e.path.startsWith(dir + '/') && !e.path.slice(dir.length + 1).includes('/') && /appspec/i.test(e.path))) return {entries, prefix: ''}
  const prefix = dir + '/'
  return {prefix, entries: entries.filter((e) => e.path.startsWith(prefix)).map((e) => ({...e, path: e.path.slice(prefix.length)}))}
}

/**
 * A mode as a bundle keeps it: dops bundles are portable tars, which drop group and other write bits and keep the
 * owner's read and write (node-tar's modeFix), so a directory checked out with umask 002 (files 0664) has the id of
 * its own bundle and of the same files checked out with umask 022.
 */
export function portableMode(mode: number, type: RevisionEntry['type']): number {
  let m = ((mode & 0o777) | 0o600) & ~0o22
  if (type === 'dir') m |= ((m & 0o444) >> 2) & 0o111
  return m
}

export function revisionId(entries: Iterable<RevisionEntry>): string {
  const h = createHash('sha256')
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`${e.type} ${e.path} ${portableMode(e.mode, e.type).toString(8)} ${e.sha256 ?? e.linkTarget ?? ''}\n`)
  }
  return h.digest('hex')
}

export async function openRevision(source: string): Promise<Revision> {
  const st = await stat(source).catch((e: NodeJS.ErrnoException) => {
    throw new InvalidInputError(`cannot read revision ${source}: ${e.code ?? e.message}`)
  })
  let format: RevisionFormat
  let raw: RevisionEntry[]
  if (st.isDirectory()) {
    format = 'directory'
    raw = await readDirectory(source)
  } else {
    const f = formatOf(source)
    if (!f) throw new InvalidInputError(`${source}: a revision is a directory, .tar, .tar.gz, .tgz or .zip`)
    format = f
    try {
      raw = f === 'zip' ? await readZip(source) : await readTar(source, f === 'tgz')
    } catch (e) {
      if (e instanceof InvalidInputError) throw e
      throw new InvalidInputError(`${source}: not a readable ${f} archive (${(e as Error).message})`)
    }
  }
  const {entries, prefix} = stripPrefix(raw)
  const map = new Map(entries.map((e) => [e.path, e]))
  return {source, format, strippedPrefix: prefix, entries: map, id: revisionId(entries), appspecName: APPSPEC_NAMES.find((n) => map.get(n)?.type === 'file')}
}

/** The text of a file of the revision (small files are kept in memory; a directory's are read again). */
export async function readRevisionFile(rev: Revision, rel: string): Promise<Buffer | undefined> {
  const e = rev.entries.get(rel)
  if (!e || e.type !== 'file') return undefined
  if (e.content) return e.content
  if (rev.format === 'directory') return readFile(path.join(rev.source, rel))
  return undefined
}
