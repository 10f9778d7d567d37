/**
 * A mistyped command (`dops rn`, `dops env stauts`). On a terminal: oclif's not-found plugin asks "Did you mean
 * run?" and runs it when confirmed. Elsewhere (CI, scripts, pipes) nobody can answer: the closest command is named
 * and the exit code is 2 (invalid input), as for any other usage error.
 */
import type {Hook} from '@oclif/core'
import notFound from '@oclif/plugin-not-found'
import {closest} from '../plan/suggest.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY && !process.env.CI) return notFound.call(this, opts)
  const spaced = (id: string) => id.replace(/:/g, ' ')
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const guess = closest(opts.id, visible)
  const topic = opts.config.findTopic(opts.id.split(':')[0]!) ? ` ${opts.id.split(':')[0]}` : ''
  process.stderr.write(`error: \`${spaced(opts.id)}\` is not a ${opts.config.bin} command${guess ? `; did you mean \`${opts.config.bin} ${spaced(guess)}\`?` : ''}\nsee: ${opts.config.bin}${topic} --help\n`)
  this.exit(2)
}

export default hook
