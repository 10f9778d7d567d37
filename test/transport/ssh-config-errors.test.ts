/** Bad ssh_config input: refused with file:line:col when read, never silently ignored (ssh -G refuses them too). */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {SshConfigFile} from '../../src/transport/ssh-config.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'sshcfg-bad-'))
const cases: Array<[string, string, RegExp]> = [
  ['unterminated', 'Host a\n  IdentityFile "no end\n', /unterminated:2:16: IdentityFile: unterminated quote/],
  ['no-arg', 'Host a\n  Port\n', /no-arg:2:3: no argument after keyword "Port"/],
  ['match-missing', 'Match host\n  User x\n', /match-missing:1:7: Match host: missing argument/],
  ['match-unsupported', 'Match localnetwork 10.0.0.0/8\n  User x\n', /match-unsupported:1:7: Match: unsupported criterion "localnetwork"/],
]

for (const [name, text, message] of cases) {
  test(`ssh_config ${name} is a located error`, () => {
    const f = path.join(dir, name)
    writeFileSync(f, text)
    assert.throws(() => SshConfigFile.read(f, true), message)
    if (name !== 'match-unsupported') assert.throws(() => execFileSync('ssh', ['-G', '-F', f, 'a'], {stdio: 'pipe'}), 'ssh -G refuses it too')
  })
}
