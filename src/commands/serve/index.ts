import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'

export default class Serve extends BaseCommand {
  static override summary = 'Serve the REST API (and webhooks, schedules, the dashboard) over this project, with the same core as the CLI.'
  static override description = `Listens on 127.0.0.1:8080 unless --listen says otherwise. Callers send a bearer token (DOPS_TOKENS="TOKEN:ROLE,..."
or --tokens-file; make one with \`dops serve token new\`); role read may GET, operate may also start jobs. A
non-loopback address needs TLS (--tls-cert/--tls-key) or --insecure-http. Ctrl-C or SIGTERM stops it: running jobs
finish their step, queued ones are cancelled. SIGHUP reads the tokens file again. See docs/serve.md for the routes.`

  static override enableJsonFlag = false
  static override examples = [
    'DOPS_TOKENS="$(cat .dops/token):operate" <%= config.bin %> serve -f dops.yml',
    '<%= config.bin %> serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --tokens-file /etc/dops/tokens',
    '<%= config.bin %> serve --listen [::1]:0 --json',
  ]

  static override flags = {
    file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)'}),
    listen: Flags.string({description: 'HOST:PORT to listen on ([v6]:PORT for IPv6; port 0: any free port)', default: '127.0.0.1:8080'}),
    'tls-cert': Flags.string({description: 'TLS certificate chain (PEM)', dependsOn: ['tls-key']}),
    'tls-key': Flags.string({description: 'TLS private key (PEM)', dependsOn: ['tls-cert']}),
    'insecure-http': Flags.boolean({description: 'allow plain HTTP on a non-loopback address (a TLS proxy or a private network in front)'}),
    'public-read': Flags.boolean({description: 'reads (GET routes, the dashboard) need no token'}),
    'tokens-file': Flags.string({description: 'file of tokens, one `TOKEN ROLE [NAME]` a line (with DOPS_TOKENS if both are given)'}),
    json: Flags.boolean({description: 'print {"url": ...} on stdout once listening'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    // fastify and the server's modules load only here: other commands keep their start-up time
    const {startServe} = await import('../../serve/start.js')
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)
    // the tokens are read once and leave the environment: jobs' commands, builds and git never inherit them
    const tokensEnv = process.env.DOPS_TOKENS
    delete process.env.DOPS_TOKENS
    const server = await startServe({
      cwd: process.cwd(),
      planFile: flags.file,
      listen: flags.listen,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      insecureHttp: flags['insecure-http'],
      publicRead: flags['public-read'],
      tokensEnv,
      tokensFile: flags['tokens-file'],
      version: this.config.version,
      log,
    })
    process.stderr.write(`dops serve listening on ${server.url}\n`)
    if (flags.json) process.stdout.write(`${JSON.stringify({url: server.url})}\n`)
    await new Promise<void>((resolve) => {
      let stopping = false
      const stop = (signal: NodeJS.Signals) => {
        // a second signal: stop at once
        if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143)
        stopping = true
        log(`stopping (${signal}): running jobs finish their step, queued ones are cancelled`)
        server.close().then(resolve, (e: Error) => {
          log(`error while stopping: ${e.message}`)
          resolve()
        })
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      // SIGHUP: the tokens file is read again (a bad file keeps the tokens in use)
      process.on('SIGHUP', () => {
        try {
          log(`tokens reloaded: ${server.reloadTokens()}`)
        } catch (e) {
          log(`tokens not reloaded, the ones in use stay: ${(e as Error).message}`)
        }
      })
    })
  }
}
