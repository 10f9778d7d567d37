import {mkdir, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'

/** Write JSON so a reader never sees half a file: a private temporary file beside it, then a rename. */
export async function writeJsonAtomic(file: string, data: unknown): Promise<string> {
  await mkdir(path.dirname(file), {recursive: true})
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(data, null, 2), {mode: 0o600})
  await rename(tmp, file)
  return file
}
