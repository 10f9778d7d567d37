/** Help as a newcomer reads it: topics with their own descriptions, suggestions for typos, usage, paragraphs. */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {BIN, dops, ROOT} from '../helpers.js'

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {summary?: string; description?: string; hidden?: boolean}>}
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {oclif: {topics: Record<string, {description: string}>}}
const squash = (s: string) => s.replace(/\s+/g, ' ').trim()

/** A section of help output (its lines without the heading), up to the next heading. */
function section(help: string, heading: string): string[] {
  const lines = help.split('\n')
  const start = lines.indexOf(heading)
  if (start < 0) return []
  const end = lines.findIndex((l, i) => i > start && /^[A-Z][A-Z ]+$/.test(l))
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

test('dops --help: every topic shows its own description, not the summary of one of its commands', async () => {
  const r = await dops(['--help'])
  assert.equal(r.code, 0)
  const topics = squash(section(r.stdout, 'TOPICS').join('\n'))
  for (const topic of ['deploy', 'env']) {
    assert.ok(topics.includes(`${topic} ${squash(pkg.oclif.topics[topic]!.description)}`), `${topic}: ${topics}`)
    for (const [id, c] of Object.entries(manifest.commands)) if (id.startsWith(`${topic}:`) || id === topic) assert.ok(!topics.includes(`${topic} ${squash(c.summary ?? '')}`), `the ${topic} topic shows the summary of ${id}`)
  }
})

test('a mistyped command names the closest one: exit 2 in scripts, a "did you mean" question on a terminal', async () => {
  const r = await dops(['rn', '-g', 'web'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /`rn` is not a dops command; did you mean `dops run`\?/)
  const sub = await dops(['env', 'stauts'])
  assert.equal(sub.code, 2)
  assert.match(sub.stderr, /did you mean `dops env status`\?\nsee: dops env --help/)
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.CI
  const tty = spawnSync('script', ['-qec', `${process.execPath} ${BIN} valdate`, '/dev/null'], {env, input: 'n\n', encoding: 'utf8', timeout: 30_000})
  assert.match(tty.stdout, /Did you mean validate\?/)
})

test('usage shows `-- COMMAND` for run', async () => {
  const r = await dops(['run', '--help'])
  assert.deepEqual(section(r.stdout, 'USAGE').map((l) => l.trim()).filter(Boolean), ['$ dops run [FLAGS] -- COMMAND...', '$ dops run --script FILE [FLAGS] [-- ARGS...]', '$ dops run --retry-failed [RUN_ID] [FLAGS]'])
})

test('help paragraphs are wrapped by help, not broken mid-sentence by the source', async () => {
  for (const [id, c] of Object.entries(manifest.commands)) {
    if (c.hidden || !c.description) continue
    const r = await dops([...id.split(':'), '--help'])
    const lines = section(r.stdout, 'DESCRIPTION')
    for (let i = 0; i + 1 < lines.length; i++) {
      const [line, next] = [lines[i]!, lines[i + 1]!]
      const indent = (s: string) => s.length - s.trimStart().length
      if (!line.trim() || !next.trim() || indent(next) !== indent(line) || /^\s*([-*]|\d+)\s/.test(next)) continue
      const word = next.trim().split(' ')[0]!
      assert.ok(line.length + 1 + word.length > 80, `${id}: "${line.trim()}" ends early: "${word}" fits after it`)
    }
  }
})
