import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import {monitorRules, type RulesReport} from '../../monitor/rules.js'

export default class MonitorRules extends BaseCommand {
  static override summary = "Write the Prometheus alert rules of the plan's recovery and scaling policies."
  static override description = `Each group's alert policy with an \`expr\` becomes an alerting rule named after the alert, labelled project, env and group (dops serve maps the alert back to the group by them, and to the host by the series' host label, a target label dops writes). In expr, $selector becomes the group's target labels, for example:

    on: {alert: {InstanceDown: {action: replace, expr: 'up{$selector} == 0', for: 30s}}}

Without --out the rules are printed. Point Prometheus at the file with rule_files, check it with promtool check rules FILE, and send the alerts to dops serve (POST /hooks/alertmanager).`

  static override examples = ['<%= config.bin %> monitor rules -o /etc/prometheus/rules/dops.yml', '<%= config.bin %> monitor rules -e prod']
  static override flags = {
    file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)'}),
    env: Flags.string({char: 'e', env: 'DOPS_ENV', description: 'only this environment (default: all)'}),
    out: Flags.string({char: 'o', description: 'write the rules to this file (atomically) instead of printing them'}),
  }

  async run(): Promise<RulesReport> {
    const {flags} = await this.parse(MonitorRules)
    const r = await monitorRules({cwd: process.cwd(), planFile: flags.file, env: flags.env, out: flags.out})
    if (!this.jsonEnabled()) {
      if (r.file) process.stderr.write(`${r.rules} rule(s) written to ${r.file}\n`)
      else process.stdout.write(r.text)
    }
    return r
  }
}
