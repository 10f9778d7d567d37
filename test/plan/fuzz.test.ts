/**
 * Fuzz-style robustness test (issue 9): generated malformed plans, appspecs and inventories, seeded
 * (DOPS_FUZZ_SEED, default below; DOPS_FUZZ_CASES per kind, default 250, so 750 a run). Every input is either
 * accepted or rejected with problems that all carry file:line:col; anything else (a throw that is not
 * InvalidInputError, a problem without a location) fails the test and names the seed, case and mutations.
 * The library is driven in-process for speed; a handful of the rejected cases go through the built CLI too
 * (exit 2, file:line:col on stderr, never "bug in dops").
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem, InvalidInputError, type Problem} from '../../src/errors.js'
import {parseAppspec} from '../../src/deploy/appspec/parse.js'
import {inventoryHosts} from '../../src/inventory/ansible.js'
import {parseAnsibleIni} from '../../src/inventory/ansible-ini.js'
import {parseAnsibleYaml} from '../../src/inventory/ansible-yaml.js'
import {resolveEnvironment} from '../../src/inventory/resolve.js'
import {parsePlan} from '../../src/plan/load.js'
import {dops, ROOT} from '../helpers.js'
import {MUTATIONS, mutate, rng} from './fuzz-mutate.js'

const SEED = Number(process.env.DOPS_FUZZ_SEED ?? 20261202)
const CASES = Number(process.env.DOPS_FUZZ_CASES ?? 250)
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-fuzz-'))

type Outcome = 'accepted' | 'located' | {bug: string}

const unlocated = (ps: Problem[]) => ps.filter((p) => p.severity !== 'warning').filter((p) => !p.file || !(Number(p.line) >= 1) || !(Number(p.column) >= 1))

/** Classify a throw: a located InvalidInputError, or a bug. */
function fromError(e: unknown): Outcome {
  if (!(e instanceof InvalidInputError)) return {bug: `threw ${(e as Error)?.stack ?? String(e)}`}
  const errors = e.problems.filter((p) => p.severity !== 'warning')
  if (!errors.length) return {bug: `InvalidInputError without problems: ${e.message}`}
  const bad = unlocated(errors)
  return bad.length ? {bug: `problems without file:line:col: ${bad.map(formatProblem).join(' | ')}`} : 'located'
}

const corpus = {
  plans: readdirSync(path.join(ROOT, 'examples')).map((d) => path.join(ROOT, 'examples', d, 'dops.yml')),
  appspecs: readdirSync(path.join(ROOT, 'test/fixtures/appspecs/valid')).map((f) => path.join(ROOT, 'test/fixtures/appspecs/valid', f)),
  inventories: ['hosts.ini', 'hosts.yml'].map((f) => path.join(ROOT, 'test/fixtures/inventories', f)),
}

const drivers = {
  async plans(file: string, text: string): Promise<Outcome> {
    try {
      // the example's own path, so relative inventories resolve as they would
      const {loaded} = parsePlan(file, text, {env: {}})
      for (const env of Object.keys(loaded.plan.environments ?? {})) await resolveEnvironment(loaded, env)
      return 'accepted'
    } catch (e) {
      return fromError(e)
    }
  },
  async appspecs(file: string, text: string): Promise<Outcome> {
    try {
      const r = parseAppspec(file, text)
      const bad = unlocated(r.problems)
      if (bad.length) return {bug: `problems without file:line:col: ${bad.map(formatProblem).join(' | ')}`}
      if (!r.appspec && !r.problems.some((p) => p.severity !== 'warning')) return {bug: 'rejected without an error'}
      return r.appspec ? 'accepted' : 'located'
    } catch (e) {
      return {bug: `threw ${(e as Error)?.stack ?? String(e)}`}
    }
  },
  async inventories(file: string, text: string): Promise<Outcome> {
    try {
      const inv = file.endsWith('.ini') ? parseAnsibleIni(file, text) : parseAnsibleYaml(file, text)
      for (const g of inv.groups.keys()) inventoryHosts(inv, g)
      return 'accepted'
    } catch (e) {
      return fromError(e)
    }
  },
}

const stats: Record<string, {tried: number; accepted: number; located: number; byMutation: Record<string, number>}> = {}
const rejected: Record<string, Array<{file: string; text: string}>> = {plans: [], appspecs: [], inventories: []}

for (const kind of ['plans', 'appspecs', 'inventories'] as const) {
  test(`fuzz ${kind}: ${CASES} seeded malformed inputs are accepted or rejected with file:line:col (seed ${SEED})`, async (t) => {
    const r = rng(SEED + kind.length)
    const s: (typeof stats)[string] = (stats[kind] = {tried: 0, accepted: 0, located: 0, byMutation: {}})
    const names = Object.keys(MUTATIONS).filter((m) => kind === 'inventories' || m !== 'iniNoise')
    const bugs: string[] = []
    for (let i = 0; i < CASES; i++) {
      const base = corpus[kind][Math.floor(r() * corpus[kind].length)]!
      const {applied, text} = mutate(readFileSync(base, 'utf8'), r, names)
      for (const m of applied) s.byMutation[m] = (s.byMutation[m] ?? 0) + 1
      s.tried++
      const out = await drivers[kind](base, text)
      if (out === 'accepted') s.accepted++
      else if (out === 'located') {
        s.located++
        if (rejected[kind]!.length < 3 && applied.some((m) => !['truncate', 'deleteLine'].includes(m))) rejected[kind]!.push({file: base, text})
      } else bugs.push(`case ${i} (${path.basename(base)}; ${applied.join(', ')}): ${out.bug.slice(0, 600)}`)
    }
    t.diagnostic(`${kind}: tried ${s.tried}, accepted ${s.accepted}, rejected with file:line:col ${s.located}, other ${bugs.length}`)
    assert.deepEqual(bugs, [], `seed ${SEED}: ${bugs.length} case(s) ended without a located error:\n${bugs.slice(0, 10).join('\n')}`)
    assert.ok(s.located > CASES / 4, `most mutations should be rejected (${s.located} of ${CASES})`)
  })
}

test('fuzz through the built CLI: rejected cases exit 2 with file:line:col, never "bug in dops"', async () => {
  const runs: Array<{args: string[]; file: string}> = []
  for (const [kind, cases] of Object.entries(rejected)) {
    cases.forEach((c, i) => {
      const file = path.join(work, `${kind}-${i}${path.extname(c.file) || '.yml'}`)
      writeFileSync(file, c.text)
      runs.push({file, args: kind === 'plans' ? ['validate', '-f', file] : kind === 'appspecs' ? ['validate', '--appspec', file] : ['hosts', '-i', file]})
    })
  }
  assert.ok(runs.length >= 6, `at least 6 CLI cases (${runs.length})`)
  for (const {args, file} of runs) {
    const r = await dops(args)
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`)
    assert.match(r.stderr, new RegExp(`${path.basename(file).replace('.', '\\.')}:\\d+:\\d+: `), r.stderr)
    assert.doesNotMatch(r.stderr, /bug in dops|\n\s+at /)
  }
})
