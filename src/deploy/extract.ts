/**
 * Unpacking a revision archive on the machine running dops, into a fresh private directory, so it can be bundled.
 * The listing was checked first (`openRevision`: no name twice, nothing under a symbolic link, no hard link); this
 * writer does not trust it: every parent directory is checked not to be a link, files are created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (never over anything, never through a link), links are made and never followed. Nothing
 * is written outside `dest`.
 */
import {closeSync, constants, createWriteStream, fchmodSync, lstatSync, mkdirSync, openSync, symlinkSync} from 'node:fs'
import {chmod} from 'node:fs/promises'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {InvalidInputError} from '../errors.js'
import {safeRelative, tarEntryType, type RevisionFormat} from './revision.js'

class Writer {
  private dirModes: Array<[string, number]> = []
  constructor(
    private dest: string,
    private source: string,
    private prefix: string,
  ) {}

  /** The entry's path under dest, or undefined when it is outside the stripped prefix (or is the prefix itself). */
  target(raw: string): {rel: string; out: string} | undefined {
    const rel0 = safeRelative(raw, this.source)
    if (this.prefix && !(rel0 + '/').startsWith(this.prefix)) return undefined
    const rel = rel0.slice(this.prefix.length)
    return rel ? {rel, out: path.join(this.dest, ...rel.split('/'))} : undefined
  }

  private refuse(raw: string, why: string): never {
    throw new InvalidInputError(`${this.source}: archive entry \`${raw}\` ${why}; refusing the revision`)
  }

  /** Make the directories of `rel` (all of it with `self`), each a real directory, never a link. */
  dirs(raw: string, rel: string, self: boolean): void {
    const parts = rel.split('/')
    let cur = this.dest
    for (let i = 0; i < (self ? parts.length : parts.length - 1); i++) {
      cur = path.join(cur, parts[i]!)
      let st
      try {
        st = lstatSync(cur)
      } catch {
        mkdirSync(cur, {mode: 0o755})
        continue
      }
      if (!st.isDirectory()) this.refuse(raw, st.isSymbolicLink() ? `is under the symbolic link \`${parts.slice(0, i + 1).join('/')}\`` : `is under \`${parts.slice(0, i + 1).join('/')}\`, which is not a directory`)
    }
  }

  dir(raw: string, mode: number): void {
    const t = this.target(raw)
    if (!t) return
    this.dirs(raw, t.rel, true)
    this.dirModes.push([t.out, mode & 0o7777 || 0o755])
  }

  link(raw: string, target: string): void {
    const t = this.target(raw)
    if (!t) return
    this.dirs(raw, t.rel, false)
    try {
      symlinkSync(target, t.out)
    } catch (e) {
      this.refuse(raw, (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'repeats a name already unpacked' : `cannot be unpacked (${(e as Error).message})`)
    }
  }

  /** Create the file now (in archive order); its content is written by the returned promise. */
  file(raw: string, mode: number, content: Readable): Promise<void> | undefined {
    const t = this.target(raw)
    if (!t) return undefined
    this.dirs(raw, t.rel, false)
    let fd: number
    try {
      fd = openSync(t.out, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
    } catch (e) {
      this.refuse(raw, (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'repeats a name already unpacked' : `cannot be unpacked (${(e as Error).message})`)
    }
    try {
      fchmodSync(fd, mode & 0o7777 || 0o644)
    } catch (e) {
      closeSync(fd)
      throw e
    }
    return pipeline(content, createWriteStream('', {fd}))
  }

  /** Directory modes last, deepest first, so a read-only directory does not stop its own contents. */
  async finish(): Promise<void> {
    for (const [d, mode] of this.dirModes.sort((a, b) => b[0].length - a[0].length)) await chmod(d, mode)
  }
}

async function extractTar(file: string, w: Writer): Promise<void> {
  const tar = await import('tar')
  const pending: Promise<void>[] = []
  let failed: Error | undefined
  await tar.list({
    file,
    onReadEntry: (e) => {
      if (failed) return void e.resume()
      try {
        const type = tarEntryType(e, file)
        if (type === 'dir') w.dir(e.path, e.mode ?? 0o755)
        else if (type === 'symlink') w.link(e.path, e.linkpath ?? '')
        else if (type === 'file') {
          const p = w.file(e.path, e.mode ?? 0o644, e as unknown as Readable)
          if (p) return void pending.push(p.catch((err: Error) => void (failed ??= err)))
        }
      } catch (err) {
        // thrown from a stream callback it would escape the promise: keep it for after the listing
        failed = err as Error
      }
      e.resume()
    },
  })
  await Promise.all(pending)
  if (failed) throw failed
}

async function extractZip(file: string, w: Writer): Promise<void> {
  const yauzl = await import('yauzl')
  const zip = await new Promise<import('yauzl').ZipFile>((resolve, reject) => yauzl.open(file, {lazyEntries: true, autoClose: true}, (err, z) => (err ? reject(err) : resolve(z))))
  const read = (e: import('yauzl').Entry) => new Promise<Readable>((res, rej) => zip.openReadStream(e, (err, s) => (err || !s ? rej(err) : res(s))))
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject)
    zip.on('end', resolve)
    zip.on('entry', (e: import('yauzl').Entry) => {
      void (async () => {
        const unixMode = (e.externalFileAttributes >>> 16) & 0o177777
        if (e.fileName.endsWith('/')) return w.dir(e.fileName, unixMode || 0o755)
        if ((unixMode & 0o170000) === 0o120000) {
          const chunks: Buffer[] = []
          for await (const c of await read(e)) chunks.push(c as Buffer)
          return w.link(e.fileName, Buffer.concat(chunks).toString('utf8'))
        }
        if (!w.target(e.fileName)) return
        await w.file(e.fileName, unixMode & 0o7777 || 0o644, await read(e))
      })().then(() => zip.readEntry(), (err: Error) => {
        zip.close()
        reject(err)
      })
    })
    zip.readEntry()
  })
}

/** Unpack an archive revision into `dest` (an empty directory of ours), without the stripped prefix. */
export async function extractRevision(file: string, format: RevisionFormat, dest: string, strippedPrefix: string): Promise<void> {
  const w = new Writer(dest, file, strippedPrefix)
  if (format === 'zip') await extractZip(file, w)
  else await extractTar(file, w)
  await w.finish()
}
