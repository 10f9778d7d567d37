/**
 * The plan side of `env restore`, without hosts: how the target environment is derived (pure), and the located
 * problems `dops validate` and `env restore` report for `restoreFrom`, `provider`, `restore.hooks` and revisions.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'
import {deriveEnvironment, mergeDeep, restoreNotes, unownedStatic} from '../../src/env/restore-derive.js'
import type {Plan} from '../../src/plan/types.js'
import {regionProblems} from '../../src/plan/restore-checks.js'
import {parseYamlSource} from '../../src/plan/yaml-source.js'
import {parse} from 'yaml'
import {localEnvRoot} from '../../src/providers/local/provider.js'
import {dops, json} from '../helpers.js'

mkdirSync('/var/tmp/dops-restore-tests', {recursive: true})
const project = mkdtempSync('/var/tmp/dops-restore-tests/checks-')
after(() => rmSync(project, {recursive: true, force: true}))
const run = (args: string[]) => dops(args, {cwd: project})
type Problems = {error: {problems: Array<{path?: string; line?: number; message: string}>}}

const plan: Plan = {
  version: 1,
  project: 'p',
  providers: {east: {type: 'aws', region: 'us-east-1'}, box: {type: 'local'}},
  environments: {
    prod: {vars: {a: '1', b: '2'}, groups: {db: {provider: 'east', instance: {count: 1, image: 'ami-1', size: 't3.micro', firewall: [{port: 5432, from: ['group:web']}]}}, web: {provider: 'east', dependsOn: ['db'], apps: ['web'], instance: {count: 2, image: 'ami-1'}}, old: {hosts: ['10.0.0.1']}}},
    dr: {provider: 'box', restoreFrom: 'prod', vars: {b: '3'}, groups: {web: {instance: {count: 5}}, extra: {provider: 'box', instance: {count: 1}}}},
  },
} as unknown as Plan

test('the target is the source\'s groups with its overrides merged and its provider', () => {
  const env = deriveEnvironment(plan, {source: 'prod', target: 'dr', name: 'dr'})
  assert.deepEqual(Object.keys(env.groups!), ['db', 'web', 'old', 'extra'])
  assert.equal(env.groups!.web!.provider, 'box')
  assert.deepEqual(env.groups!.web!.instance, {count: 5, image: 'ami-1'}, 'the override merged over the source')
  assert.deepEqual(env.groups!.web!.dependsOn, ['db'])
  assert.deepEqual(env.groups!.db!.instance!.firewall, [{port: 5432, from: ['group:web']}], 'lists are taken whole')
  assert.equal(env.groups!.old!.hosts, undefined, 'a static group rebuilt by a provider drops the source\'s machines')
  assert.deepEqual(env.vars, {a: '1', b: '3'})
  // the source's plan is not changed
  assert.deepEqual(plan.environments!.prod!.groups!.web!.instance, {count: 2, image: 'ami-1'})
  assert.equal(plan.environments!.prod!.groups!.web!.provider, 'east')
  assert.deepEqual(mergeDeep({a: {b: 1, c: [1]}}, {a: {c: [2]}}), {a: {b: 1, c: [2]}})
})

test('dops validate locates a bad restoreFrom, an unknown environment provider and bad hooks', async () => {
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: p
providers:
  box: {type: local}
environments:
  prod:
    provider: box
    groups:
      db: {instance: {count: 1}}
      web: {dependsOn: [db], instance: {count: 1}}
  dr:
    provider: boxx
    restoreFrom: prd
  dr2:
    restoreFrom: prod
    groups:
      web: {instance: {count: 3}}
    restore:
      hooks:
        - {after: dbb, run: "true"}
        - {after: db, group: web, run: "true"}
        - {after: web, run: "true", script: x.sh}
`,
  )
  const res = await run(['validate', '--json'])
  assert.equal(res.code, 2, res.stdout + res.stderr)
  const problems = json<Problems>(res).error.problems
  const at = (p: string) => problems.find((x) => x.path === p)
  assert.match(at('environments.dr.provider')!.message, /`boxx` is not a provider of the plan; did you mean `box`\?/)
  assert.equal(at('environments.dr.provider')!.line, 12)
  assert.match(at('environments.dr.restoreFrom')!.message, /`prd` is not an environment of the plan; did you mean `prod`\?/)
  assert.match(at('environments.dr2.restore.hooks[0].after')!.message, /`dbb` is not a group of the restored environment; did you mean `db`\?/)
  assert.match(at('environments.dr2.restore.hooks[1].group')!.message, /group `web` has no hosts yet when `db` is ready/)
  assert.match(at('environments.dr2.restore.hooks[2]')!.message, /exactly one of `run` and `script`/)
  // dr2's `web` entry is an override of prod's web (built by prod's provider): not a static group without hosts
  assert.equal(problems.filter((p) => p.path?.startsWith('environments.dr2.groups')).length, 0, JSON.stringify(problems))
  assert.equal(problems.length, 5, JSON.stringify(problems))
})

test('env restore: no source, an unknown target, and a source without recorded revisions are refused, nothing created', async () => {
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: p
providers:
  box: {type: local}
apps:
  web: {source: ./app}
environments:
  prod:
    provider: box
    groups:
      web: {instance: {count: 1}, apps: [web]}
  dr: {provider: box}
`,
  )
  const noSource = await run(['env', 'restore', 'dr', '--json'])
  assert.equal(noSource.code, 2)
  assert.match(noSource.stdout, /pass --from SOURCE, or set environments\.dr\.restoreFrom/)
  const unknown = await run(['env', 'restore', 'dt', '--from', 'prod', '--json'])
  assert.equal(unknown.code, 2)
  assert.match(json<Problems>(unknown).error.problems[0]!.message, /`dt` is not an environment of the plan; did you mean `dr`\?/)
  const noRecord = await run(['env', 'restore', 'dr', '--from', 'prod', '--json'])
  assert.equal(noRecord.code, 2, noRecord.stdout + noRecord.stderr)
  assert.match(json<Problems>(noRecord).error.problems[0]!.message, /app web: environment prod has no successful deployment recorded/)
  const drill = await run(['env', 'restore', 'dr', '--from', 'prod', '--drill', '--json'])
  assert.equal(drill.code, 2)
  assert.match(json<Problems>(drill).error.problems[0]!.message, /app web: environment prod has no successful deployment recorded/)
  for (const env of ['dr', 'drill-dr']) assert.ok(!existsSync(path.join(project, `.dops/state/p-${env}.json`)), `no state for ${env}`)
  assert.ok(!existsSync(localEnvRoot('p', 'dr', project)) && !existsSync(localEnvRoot('p', 'drill-dr', project)), 'no sandbox')
})

test('local -> aws: the image is needed (the source has none); same region: nothing is needed', () => {
  const text = `version: 1
project: p
providers:
  box: {type: local}
  east: {type: aws, region: us-east-1}
  east2: {type: aws, region: us-east-1}
environments:
  dev:
    provider: box
    groups:
      web: {instance: {count: 2}}
  cloud:
    provider: east
    groups:
      web: {instance: {size: t3.micro}}
  prod:
    provider: east
    groups:
      web: {instance: {count: 1, image: ami-1, keyPair: k, subnets: [subnet-1]}}
  copy:
    provider: east2
`
  const {source} = parseYamlSource('/p/dops.yml', text)
  const p = parse(text) as Plan
  const fromLocal = regionProblems(p, {source: 'dev', target: 'cloud', name: 'cloud'}, source)
  assert.deepEqual(fromLocal.map((x) => `${x.path}@${x.line}`), ['environments.cloud.groups.web.instance.image@15'])
  assert.match(fromLocal[0]!.message, /the source has none/)
  assert.deepEqual(regionProblems(p, {source: 'prod', target: 'copy', name: 'copy'}, source), [], 'another provider entry in the same region')
})

test('a restore never takes the source\'s machines nor its DNS records (load balancers are inherited)', () => {
  const p = {
    version: 1,
    project: 'p',
    providers: {box: {type: 'local'}},
    environments: {
      prod: {dns: {zone: 'example.com', records: [{name: 'www', type: 'A', values: ['1.2.3.4']}]}, loadBalancers: {web: {provider: 'box'}}, groups: {db: {hosts: ['10.0.0.1'], inventory: {path: 'inv.yml', group: 'db'}}, cache: {hosts: ['10.0.0.2']}, web: {provider: 'box', instance: {count: 1}}}},
      dr: {groups: {db: {inventory: {path: 'dr.yml'}}, cache: {provider: 'static'}}},
      dr2: {dns: {zone: 'example.org', records: []}, groups: {db: {hosts: ['10.9.0.1']}, cache: {provider: 'box'}}},
    },
  } as unknown as Plan
  const dr = deriveEnvironment(p, {source: 'prod', target: 'dr', name: 'dr'})
  assert.deepEqual(dr.groups!.db, {inventory: {path: 'dr.yml'}}, 'the target\'s inventory, not merged with the source\'s hosts or inventory')
  assert.equal(dr.groups!.cache!.hosts, undefined, 'a static group the target does not give hosts keeps none of the source\'s')
  assert.equal(dr.dns, undefined, 'the source\'s records are not inherited')
  assert.deepEqual(dr.loadBalancers, {web: {provider: 'box'}}, 'load balancers are inherited (their names carry the environment)')
  assert.deepEqual(unownedStatic(p, {source: 'prod', target: 'dr', name: 'dr'}), ['cache'])
  assert.match(restoreNotes(p, {source: 'prod', target: 'dr', name: 'dr'})[0]!, /prod's records are not rebuilt.*set environments\.dr\.dns/)
  const dr2 = deriveEnvironment(p, {source: 'prod', target: 'dr2', name: 'dr2'})
  assert.deepEqual(dr2.groups!.db!.hosts, ['10.9.0.1'])
  assert.equal(dr2.groups!.db!.inventory, undefined)
  assert.deepEqual(dr2.dns, {zone: 'example.org', records: []}, 'the target\'s own dns')
  assert.deepEqual(unownedStatic(p, {source: 'prod', target: 'dr2', name: 'dr2'}), [])
  assert.equal(deriveEnvironment(p, {source: 'prod', target: 'dr2', name: 'drill-dr2', drill: true}).dns, undefined, 'a drill builds no DNS')
})

test('env restore and --drill refuse a static source group the target does not override, with the region values, nothing created', async () => {
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: p
providers:
  east: {type: aws, region: us-east-1}
  west: {type: aws, region: us-west-2}
environments:
  prod:
    groups:
      db: {hosts: [127.0.0.1]}
      web: {provider: east, instance: {count: 1, image: ami-0123}}
  dr:
    groups:
      web: {provider: west}
`,
  )
  for (const args of [[], ['--drill']]) {
    const res = await run(['env', 'restore', 'dr', '--from', 'prod', ...args, '--json'])
    assert.equal(res.code, 2, res.stdout + res.stderr)
    const problems = json<Problems>(res).error.problems
    assert.deepEqual(problems.map((x) => `${x.path}@${x.line}`).sort(), ['environments.dr.groups.db.hosts@12', 'environments.dr.groups.web.instance.image@13'])
    assert.match(problems.find((x) => x.path!.endsWith('db.hosts'))!.message, /group db of prod is static .*dr needs its own hosts or a provider/)
  }
  for (const env of ['dr', 'drill-dr']) assert.ok(!existsSync(path.join(project, `.dops/state/p-${env}.json`)), `no state for ${env}`)
})
