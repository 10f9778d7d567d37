/**
 * The floor for this stack: plain ssh2, one connection per host, exec, collect, with host keys checked against the
 * fleet's known_hosts. No CLI framework, no journal, no formatting.
 *   node --import tsx bench/bare-ssh2.ts HOSTS_FILE KEY KNOWN_HOSTS COMMAND
 */
import {readFileSync} from 'node:fs'
import {Client} from 'ssh2'

const [hostsFile, keyFile, khFile, command] = process.argv.slice(2) as [string, string, string, string]
const hosts = readFileSync(hostsFile, 'utf8').split('\n').filter(Boolean)
const key = readFileSync(keyFile, 'utf8')
const known = new Map(readFileSync(khFile, 'utf8').split('\n').filter(Boolean).map((l) => [l.split(' ')[0]!, l.split(' ')[2]!]))

const run = (host: string) =>
  new Promise<string>((resolve, reject) => {
    const c = new Client()
    c.on('error', reject)
    c.on('ready', () =>
      c.exec(command, (err, stream) => {
        if (err) return reject(err)
        let out = ''
        stream.on('data', (d: Buffer) => (out += d))
        stream.stderr.on('data', () => {})
        stream.on('close', () => {
          c.end()
          resolve(out)
        })
      }),
    )
    c.connect({host, port: 22, username: 'root', privateKey: key, readyTimeout: 30_000, hostVerifier: (k: Buffer) => known.get(host) === k.toString('base64')})
  })

const results = await Promise.allSettled(hosts.map(run))
const ok = results.filter((r) => r.status === 'fulfilled').length
process.stdout.write(`${ok}/${hosts.length} ok\n`)
process.exit(ok === hosts.length ? 0 : 1)
