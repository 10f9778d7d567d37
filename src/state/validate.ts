/**
 * An environment state read back must have the shape dops writes; a corrupt one (truncated, `null`, edited by hand)
 * is a problem located in that file, and it is never overwritten: what it records is the only list of the hosts
 * dops created.
 */
import {DopsError, ExitCode, type Problem} from '../errors.js'
import {checkShape, parseJsonText} from '../util/json-file.js'
import type {EnvState} from './local-file.js'

function corrupt(where: string, problem: Problem): DopsError {
  return new DopsError(
    'STATE_CORRUPT',
    `the environment state ${where} is corrupt; dops will not overwrite it. Repair it (see the problem below), restore it from a backup, or, if the hosts it recorded are gone, move it away and run the command again (dops then knows none of the hosts it created: remove them by hand)`,
    {exitCode: ExitCode.INVALID_INPUT, problems: [problem]},
  )
}

/** Parse and check a state file's text; throws a located STATE_CORRUPT error. */
export function parseState(where: string, text: string): EnvState {
  const parsed = parseJsonText(where, text)
  if ('problem' in parsed) throw corrupt(where, parsed.problem)
  const top = checkShape(where, parsed.value, [['', 'object'], ['groups', 'object']])
  if (top) throw corrupt(where, top)
  const st = (parsed.value as {static?: unknown}).static
  if (st !== undefined) {
    const p = checkShape(where, st, [['', 'object']])
    if (p) throw corrupt(where, {...p, path: 'static'})
  }
  const s = parsed.value as EnvState
  for (const [name, g] of Object.entries(s.groups)) {
    const base = `groups.${name}`
    const p = checkShape(where, g, [['', 'object'], ['instances', 'array']])
    if (p) throw corrupt(where, {...p, path: p.path === '(top level)' ? base : `${base}.${p.path}`})
    for (const [i, inst] of g.instances.entries()) {
      const q = checkShape(where, inst, [['', 'object'], ['id', 'string'], ['name', 'string'], ['address', 'string']])
      if (q) throw corrupt(where, {...q, path: q.path === '(top level)' ? `${base}.instances.${i}` : `${base}.instances.${i}.${q.path}`})
    }
  }
  for (const [name, g] of Object.entries(s.static ?? {})) {
    const base = `static.${name}`
    const p = checkShape(where, g, [['', 'object'], ['hosts', 'array']])
    if (p) throw corrupt(where, {...p, path: p.path === '(top level)' ? base : `${base}.${p.path}`})
    for (const [i, h] of g.hosts.entries()) {
      const q = checkShape(where, h, [['', 'object'], ['name', 'string'], ['address', 'string']])
      if (q) throw corrupt(where, {...q, path: q.path === '(top level)' ? `${base}.hosts.${i}` : `${base}.hosts.${i}.${q.path}`})
    }
  }
  return s
}
