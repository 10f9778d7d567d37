import {BaseCommand, envParamsFrom, envFlags} from '../../cli/base.js'
import {colorFor} from '../../cli/format.js'
import {formatTable, indent} from '../../cli/table.js'
import {envStatus, type EnvStatus} from '../../env/env-job.js'
import {ExitCode} from '../../errors.js'

export default class EnvStatusCommand extends BaseCommand {
  static override summary = 'The environment by application: groups, hosts, their provider state, the revision each runs, whether it answers, and its health check.'
  static override description = `Exits 0 when every host is running, answers and passes its app's health check; 3 (some hosts failed)
when a host is gone, stopped, unreachable or unhealthy, so a scheduler or CI step can alert on it.`

  static override examples = ['<%= config.bin %> env status -f examples/local/dops.yml', '<%= config.bin %> env status -e prod --json']
  static override flags = {
    ...envFlags,
  }

  async run(): Promise<EnvStatus> {
    const {flags} = await this.parse(EnvStatusCommand)
    const r = await envStatus({...envParamsFrom(flags)})
    if (!this.jsonEnabled()) {
      const c = colorFor(process.stdout)
      process.stdout.write(`${c.bold(`${r.project}/${r.env}`)}\n`)
      for (const g of r.groups) {
        process.stdout.write(`  ${c.bold(g.group)} (${g.provider}, ${g.hosts.length} host${g.hosts.length === 1 ? '' : 's'})${g.apps.map((a) => `  ${a.app} ${a.revision?.slice(0, 12) ?? 'not deployed'}${a.differing.length ? c.yellow(` (differing: ${a.differing.join(', ')})`) : ''}`).join('')}\n`)
        const rows = g.hosts.map((h) => [
          h.name,
          h.address,
          `${h.state === 'gone' ? c.red('gone') : h.state === 'stopped' ? c.yellow('stopped (env up starts it)') : h.state}${h.ready === false ? c.yellow(' not ready (env up prepares it again)') : ''}${h.reachable === false ? c.red(' unreachable') : ''}`,
          Object.entries(h.health)
            .map(([app, hh]) => (hh ? `${app} ${hh.healthy ? c.green('healthy') : c.red(`unhealthy: ${hh.reason ?? ''}`)}` : ''))
            .filter(Boolean)
            .join(' '),
        ])
        if (rows.length) process.stdout.write(indent(formatTable(['HOST', 'ADDRESS', 'STATE', 'HEALTH'], rows, process.stdout, 4), 4) + '\n')
      }
    }
    const bad = r.groups.some((g) => g.hosts.some((h) => h.state === 'gone' || h.state === 'stopped' || h.reachable === false || Object.values(h.health).some((x) => x && !x.healthy)))
    this.setExitCode(bad ? ExitCode.SOME_FAILED : ExitCode.OK)
    return r
  }
}
