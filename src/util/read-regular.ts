/**
 * Read a user-named input file with bounds: regular files only (a FIFO would block, a device such as /dev/zero never
 * ends) and at most `maxBytes`. Errors carry a `code` that says which (ENOENT, EACCES, "not a regular file", ...).
 */
import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'

const sizeText = (n: number) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`)

export function readRegularFile(file: string, maxBytes: number): string {
  // O_NONBLOCK: opening a FIFO with no writer must not wait
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = fstatSync(fd)
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'})
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), {code: 'not a regular file'})
    if (st.size > maxBytes) throw Object.assign(new Error('too large'), {code: `larger than ${sizeText(maxBytes)}`})
    const buf = Buffer.alloc(st.size)
    let n = 0
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n)
      if (r === 0) break
      n += r
    }
    return buf.subarray(0, n).toString('utf8')
  } finally {
    closeSync(fd)
  }
}
