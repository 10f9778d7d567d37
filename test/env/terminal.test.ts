/**
 * env commands on a terminal, as a user's shell runs them (a pseudo-terminal through `script`): progress stays on
 * stderr (nothing in a file stdout is redirected to), a terminal of width 0 does not get one character per line, and
 * a bootstrap script that prints a plan secret (${env:..}) leaves it neither on the terminal nor in the env journal.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {BIN, dops} from '../helpers.js'

const SECRET = 'tok-8f3a91c2e7d54b60'
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-envterm-'))
writeFileSync(
  path.join(project, 'dops.yml'),
  `version: 1
project: envterm
providers:
  sandbox: {type: local}
environments:
  t:
    groups:
      a:
        provider: sandbox
        instance: {count: 1}
        bootstrap:
          - run: echo "token=\${env:DOPS_TEST_TOKEN}"; echo "also \${env:DOPS_TEST_TOKEN}" >&2; exit 3
`,
)
const env: NodeJS.ProcessEnv = {...process.env, DOPS_TEST_TOKEN: SECRET, FORCE_COLOR: '1'}
delete env.CI
after(async () => {
  await dops(['env', 'down', '--yes'], {cwd: project, env})
})

/** Run `shell` on a pseudo-terminal; resolves to its exit code and everything the terminal showed. */
function onTerminal(shell: string): Promise<{code: number | null; seen: string}> {
  const child = spawn('script', ['-qec', shell, '/dev/null'], {cwd: project, env, stdio: ['ignore', 'pipe', 'pipe']})
  let seen = ''
  child.stdout.on('data', (d: Buffer) => (seen += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  return new Promise((resolve) => child.on('close', (code) => resolve({code, seen}))).finally(() => clearTimeout(timer)) as Promise<{code: number | null; seen: string}>
}

test('env up > out.txt on a width-0 terminal: progress on the terminal only, whole lines, no secret anywhere', async () => {
  const t = await onTerminal(`stty cols 0; ${process.execPath} ${BIN} env up > out.txt`)
  assert.equal(t.code, 3, t.seen)
  const file = readFileSync(path.join(project, 'out.txt'), 'utf8')
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(file, /\x1b|\r|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✔]|bootstrap|creating/, `no progress in the redirected stdout:\n${JSON.stringify(file)}`)
  // the progress line is drawn whole on the terminal, and finished steps are kept above it
  assert.match(t.seen, /env up: a: creating 1 host\(s\) \(sandbox\)/)
  assert.match(t.seen, /failed.*a: bootstrap .*: 0\/1 ok/)
  assert.doesNotMatch(t.seen, /(^|\n)\s*\S\s*\r?\n\s*\S\s*\r?\n\s*\S\s*\r?\n/, `no column of single characters:\n${t.seen}`)
  // the bootstrap's output is shown (failure tail) and recorded, redacted
  assert.match(t.seen, /token=\*\*\*/)
  assert.ok(!t.seen.includes(SECRET), `the secret is on the terminal:\n${t.seen}`)
  const dir = path.join(project, '.dops/env-runs')
  const journals = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'))
  assert.equal(journals.length, 1)
  assert.match(journals[0]!, /also \*\*\*/)
  assert.ok(!journals[0]!.includes(SECRET), `the secret is in the env journal:\n${journals[0]}`)
})
