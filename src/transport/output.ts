/**
 * A command's stdout and stderr as it runs: each stream decoded with its own UTF-8 decoder (a character split over
 * two chunks is decoded whole), streamed to `onOutput`, and kept up to `max` characters per stream.
 */
import {StringDecoder} from 'node:string_decoder'
import type {ExecOptions} from './types.js'

export type Stream = 'stdout' | 'stderr'

export class OutputCollector {
  readonly out = {stdout: '', stderr: ''}
  truncated = false
  private readonly decoders = {stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8')}
  private readonly max: number

  constructor(private readonly opts: ExecOptions) {
    this.max = opts.maxBuffer ?? 1024 * 1024
  }

  /** a handler for one stream's raw chunks */
  collect(which: Stream): (chunk: Buffer) => void {
    return (chunk) => this.take(which, this.decoders[which].write(chunk))
  }

  /** flush what the decoders still hold (call once, when the streams are done) */
  end(): void {
    for (const which of ['stdout', 'stderr'] as const) this.take(which, this.decoders[which].end())
  }

  private take(which: Stream, s: string): void {
    if (!s) return
    this.opts.onOutput?.(which, s)
    const room = this.max - this.out[which].length
    if (s.length > room) this.truncated = true
    if (room > 0) this.out[which] += s.slice(0, room)
  }
}
