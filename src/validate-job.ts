/**
 * `dops validate` as a library call: load and check the plan (schema, references, secrets), then resolve every
 * static group (its inventory files included) so a plan that validates also resolves.
 */
import path from 'node:path'
import {DopsError, InvalidInputError, type Problem} from './errors.js'
import {resolveGroup} from './inventory/resolve.js'
import {findPlanFile, loadPlan} from './plan/load.js'
import {locate} from './plan/yaml-source.js'
import {checkRevision, type RevisionCheck} from './deploy/validate-revision.js'
import {existsSync} from 'node:fs'
import {describeStatic, staticWarnings} from './validate-static.js'

export interface ValidateResult {
  file: string
  valid: boolean
  /** `description`: what `env up` does with a static group's hosts (bootstrap, events) */
  environments: Array<{name: string; groups: Array<{name: string; provider: string; hosts: number; description?: string}>}>
  apps: Array<{name: string; source: string; revision?: RevisionCheck['revision']; built: boolean}>
  warnings: Problem[]
}

export async function validateJob(p: {cwd: string; planFile?: string; env?: NodeJS.ProcessEnv}): Promise<ValidateResult> {
  const file = p.planFile ? path.resolve(p.cwd, p.planFile) : await findPlanFile(p.cwd)
  if (!file) throw new InvalidInputError(`no plan: there is no dops.yml in ${p.cwd}; pass -f PLAN`)
  const {loaded, warnings} = await loadPlan(file, {env: p.env, checkFiles: true})
  const problems: Problem[] = []
  const environments: ValidateResult['environments'] = []
  for (const [envName, env] of Object.entries(loaded.plan.environments ?? {})) {
    const groups: ValidateResult['environments'][number]['groups'] = []
    for (const [gName, g] of Object.entries(env.groups ?? {})) {
      try {
        const provider = g.provider ?? env.provider ?? 'static'
        const type = loaded.plan.providers?.[provider]?.type ?? provider
        if (type !== 'static') {
          groups.push({name: gName, provider: type, hosts: (g.instance?.count as number | undefined) ?? 0})
          continue
        }
        const hosts = (await resolveGroup(loaded, envName, gName, g)).length
        groups.push({name: gName, provider: type, hosts, description: describeStatic(g, hosts)})
        warnings.push(...staticWarnings(loaded, file, envName, gName, g, hosts))
      } catch (e) {
        if (e instanceof DopsError) problems.push(...(e.problems.length ? e.problems : [{file, message: e.message}]))
        else throw e
      }
    }
    environments.push({name: envName, groups})
  }
  const apps: ValidateResult['apps'] = []
  for (const [name, app] of Object.entries(loaded.plan.apps ?? {})) {
    // a stored revision (s3://…) is fetched and checked by the deployment that uses it
    if (app.source.startsWith('s3://')) {
      apps.push({name, source: app.source, built: false})
      continue
    }
    const source = path.resolve(loaded.dir, app.source)
    if (!existsSync(source)) {
      const where = {file, ...locate(loaded.source, ['apps', name, 'source']), path: `apps.${name}.source`}
      if (app.build) warnings.push({...where, severity: 'warning', message: `${source} does not exist yet; \`${app.build}\` builds it before a deploy`})
      else problems.push({...where, message: `revision ${source} does not exist`})
      apps.push({name, source, built: false})
      continue
    }
    const check = await checkRevision(source)
    problems.push(...check.problems.filter((p) => p.severity !== 'warning'))
    warnings.push(...check.problems.filter((p) => p.severity === 'warning'))
    apps.push({name, source, revision: check.revision, built: true})
  }
  if (problems.length) throw new InvalidInputError(`${file}: ${problems.length} problem(s)`, [...problems, ...warnings])
  return {file, valid: true, environments, apps, warnings}
}
