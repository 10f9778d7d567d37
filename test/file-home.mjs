// Loaded (--import, by test/run-tests.js) into every test file's process: the file gets a HOME of its own, under the
// run's temporary HOME, so files running at the same time never share ~/.ssh, ~/.cache or ~/.config (nor do the
// dops, ssh and ansible processes they start, which inherit it). The runner's own process keeps the run's HOME.
import {mkdirSync} from 'node:fs'
import path from 'node:path'

const base = process.env.DOPS_TEST_HOME
if (base && process.env.NODE_TEST_CONTEXT) {
  const home = path.join(base, `file-${process.pid}`)
  mkdirSync(home, {recursive: true, mode: 0o700})
  process.env.HOME = home
}
