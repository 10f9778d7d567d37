import {chmod, mkdir, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

/** Write JSON so a reader never sees half a file: a private temporary file beside it, then a rename. */
export async function writeJsonAtomic(file: string, data: unknown): Promise<string> {
  await mkdir(path.dirname(file), {recursive: true})
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(data, null, 2), {mode: 0o600})
  await rename(tmp, file)
  return file
}

/**
 * Write a file another program reads (Prometheus' targets and rules) so it never sees half of it: a temporary name
 * beside it that the reader's `*.json`/`*.yml` pattern does not match (`.NAME.PID.tmp`), the mode set (the umask
 * does not narrow it), then a rename. The temporary file is removed when anything fails.
 */
export async function writeFileAtomic(file: string, text: string, mode = 0o644): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, {recursive: true, mode: 0o755})
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
  try {
    await writeFile(tmp, text, {mode})
    await chmod(tmp, mode)
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, {force: true})
    throw e
  }
}
