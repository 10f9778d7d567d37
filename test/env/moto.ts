/** A moto server (pip install 'moto[server]') on 127.0.0.1:port for one test file; its last stderr in any error. */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {answers, waitForPort} from '../../src/providers/local/sandbox.js'

export const haveMoto = spawnSync('sh', ['-c', 'command -v moto_server']).status === 0

export async function startMoto(port: number): Promise<ChildProcess> {
  if (await answers('127.0.0.1', port)) throw new Error(`port ${port} is taken`)
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
  let err = ''
  moto.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  await waitForPort('127.0.0.1', port, Date.now() + 30_000).catch((e: Error) => {
    moto.kill('SIGKILL')
    throw new Error(`${e.message}; moto said: ${err}`)
  })
  return moto
}
