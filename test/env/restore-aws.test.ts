/**
 * Disaster recovery on aws (a moto server started here) across two regions: prod runs in us-east-1; dr is restored
 * from it into us-west-2 with its own overrides. A missing per-region image and key pair are all reported at once,
 * located in the plan, before anything is created (checked with the SDK in both regions); with the overrides the
 * restore builds prod's groups at prod's recorded counts with dr's image; a drill leaves nothing in the region.
 * Provisioning only: moto's instances cannot be reached by SSH (the groups have no bootstrap and no apps).
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {RestoreReport} from '../../src/env/restore.js'
import {dops, json} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'
import {cleanUpLocalEnv} from './local-cleanup.js'
import {localEnvRoot} from '../../src/providers/local/provider.js'

const {port, endpoint} = motoAt(10000)
let moto: ChildProcess | undefined
let project: string
const ami: Record<string, string> = {}
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"

const ec2 = async (region: string) => {
  const m = await import('@aws-sdk/client-ec2')
  return {m, c: new m.EC2Client({region, endpoint, credentials: TEST_CREDS})}
}
/** What dops made for an environment in a region, by its tags (instances not terminated, security groups, launch templates, Auto Scaling groups). */
async function madeIn(region: string, env: string): Promise<{instances: Array<{group: string; image: string}>; securityGroups: number; templates: number; asgs: string[]}> {
  const {m, c} = await ec2(region)
  const tag = [{Name: 'tag:dops:project', Values: ['drcloud']}, {Name: 'tag:dops:env', Values: [env]}]
  const r = await c.send(new m.DescribeInstancesCommand({Filters: [...tag, {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']}]}))
  const instances = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => ({group: i.Tags?.find((t) => t.Key === 'dops:group')?.Value ?? '', image: i.ImageId ?? ''}))
  const sgs = (await c.send(new m.DescribeSecurityGroupsCommand({Filters: tag}))).SecurityGroups ?? []
  const lts = (await c.send(new m.DescribeLaunchTemplatesCommand({Filters: tag}))).LaunchTemplates ?? []
  const a = await import('@aws-sdk/client-auto-scaling')
  const ac = new a.AutoScalingClient({region, endpoint, credentials: TEST_CREDS})
  const asgs = ((await ac.send(new a.DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).filter((g) => g.Tags?.some((t) => t.Key === 'dops:env' && t.Value === env)).map((g) => `${g.AutoScalingGroupName}:${g.Instances?.length ?? 0}`)
  return {instances, securityGroups: sgs.length, templates: lts.length, asgs}
}
const count = (list: Array<{group: string}>) => Object.fromEntries([...new Set(list.map((i) => i.group))].sort().map((g) => [g, list.filter((i) => i.group === g).length]))

function writePlan(drGroups: string): void {
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: drcloud
providers:
  east: {type: aws, region: us-east-1, endpoint: "${endpoint}", addressing: private}
  west: {type: aws, region: us-west-2, endpoint: "${endpoint}", addressing: private}
  box: {type: local}
environments:
  prod:
    provider: east
    groups:
      web:
        instance: {count: 2, image: ${ami.east}, size: t3.micro, keyPair: prod-east}
      workers:
        instance: {count: 1, image: ${ami.east}, size: t3.small, autoScaling: {min: 1, max: 5}}
  dr:
    provider: west
    restoreFrom: prod
${drGroups}  onbox:
    provider: box
    restoreFrom: prod
`,
  )
}
const run = (args: string[]) => dops(args, {cwd: project, env: AWS_TEST_ENV, timeoutMs: 180_000})

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  mkdirSync('/var/tmp/dops-restore-tests', {recursive: true})
  project = mkdtempSync('/var/tmp/dops-restore-tests/aws-')
  for (const [name, region] of [['east', 'us-east-1'], ['west', 'us-west-2']] as const) {
    const {m, c} = await ec2(region)
    const images = (await c.send(new m.DescribeImagesCommand({}))).Images!.filter((i) => i.ImageId && i.Name && (i.Architecture ?? 'x86_64') === 'x86_64')
    ami[name] = images.find((i) => i.ImageId !== ami.east)!.ImageId!
    await c.send(new m.CreateKeyPairCommand({KeyName: `prod-${name}`}))
  }
})
after(async () => {
  if (project) await cleanUpLocalEnv({project: 'drcloud', projectDir: project, env: 'drill-onbox', dopsEnv: AWS_TEST_ENV})
  moto?.kill('SIGKILL')
  if (project && existsSync(project)) rmSync(project, {recursive: true, force: true})
})

test('prod runs in us-east-1, scaled by hand past its plan', {skip}, async () => {
  writePlan('')
  const up = await run(['env', 'up', '-e', 'prod', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-2000) + up.stderr)
  const scaled = await run(['scale', '-e', 'prod', 'workers=3', '--json'])
  assert.equal(scaled.code, 0, scaled.stdout.slice(-2000) + scaled.stderr)
  assert.deepEqual(count((await madeIn('us-east-1', 'prod')).instances), {web: 2, workers: 3})
})

test('every missing per-region value is reported, located at dr, before anything is created', {skip}, async () => {
  writePlan(`    groups:
      web:
        instance: {size: t3.micro}
`)
  const before = await madeIn('us-east-1', 'prod')
  const res = await run(['env', 'restore', 'dr', '--json'])
  assert.equal(res.code, 2, res.stdout + res.stderr)
  const err = json<{error: {problems: Array<{path: string; line?: number; message: string}>}}>(res).error
  assert.deepEqual(err.problems.map((p) => p.path).sort(), ['environments.dr.groups.web.instance.image', 'environments.dr.groups.web.instance.keyPair', 'environments.dr.groups.workers.instance.image'])
  // web's problems point at dr's own entry for web (line 19 of the plan); workers has none: at dr's `groups` (line 18)
  assert.deepEqual(err.problems.map((p) => `${p.path.split('.')[3]}:${p.line}`).sort(), ['web:19', 'web:19', 'workers:18'])
  assert.match(err.problems.find((p) => p.path.endsWith('web.instance.image'))!.message, new RegExp(`${ami.east}.*region us-east-1`))
  // the SDK's view: nothing in the target's region, prod's region untouched; no state for dr
  assert.deepEqual(await madeIn('us-west-2', 'dr'), {instances: [], securityGroups: 0, templates: 0, asgs: []})
  assert.deepEqual(await madeIn('us-east-1', 'dr'), {instances: [], securityGroups: 0, templates: 0, asgs: []})
  assert.deepEqual(await madeIn('us-east-1', 'prod'), before)
  assert.ok(!existsSync(path.join(project, '.dops/state/drcloud-dr.json')))
})

test('with the overrides, dr is prod\'s groups at prod\'s counts in us-west-2 with dr\'s image', {skip}, async () => {
  writePlan(`    groups:
      web:
        instance: {image: ${ami.west}, keyPair: prod-west}
      workers:
        instance: {image: ${ami.west}}
`)
  const res = await run(['env', 'restore', 'dr', '--json'])
  assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr)
  const r = json<RestoreReport>(res)
  assert.deepEqual(r.counts, {web: 2, workers: 3})
  assert.ok(r.phases.recovery !== undefined)
  const west = await madeIn('us-west-2', 'dr')
  assert.deepEqual(count(west.instances), {web: 2, workers: 3})
  assert.deepEqual([...new Set(west.instances.map((i) => i.image))], [ami.west])
  assert.deepEqual(west.asgs, ['dops-drcloud-dr-workers:3'])
  assert.deepEqual((await madeIn('us-east-1', 'dr')).instances, [], 'nothing of dr in prod\'s region')
})

test('a drill whose image does not exist in us-west-2 fails in the provider\'s preflight and leaves nothing', {skip}, async () => {
  writePlan(`    groups:
      web:
        instance: {image: ${ami.west}, keyPair: prod-west}
      workers:
        instance: {image: ami-0000000000000dead}
`)
  const res = await run(['env', 'restore', 'dr', '--drill', '--json'])
  assert.notEqual(res.code, 0)
  const r = json<RestoreReport>(res)
  assert.match(r.error!, /ami-0000000000000dead/)
  assert.equal(r.up, undefined)
  assert.deepEqual(r.teardown!.left, [])
  assert.deepEqual(await madeIn('us-west-2', 'drill-dr'), {instances: [], securityGroups: 0, templates: 0, asgs: []})
  assert.ok(!existsSync(path.join(project, '.dops/state/drcloud-drill-dr.json')))
  writePlan(`    groups:
      web:
        instance: {image: ${ami.west}, keyPair: prod-west}
      workers:
        instance: {image: ${ami.west}}
`)
})

test('another provider: a drill of prod on the local provider (aws -> local) runs prod\'s counts on sandbox hosts', {skip}, async () => {
  const res = await run(['env', 'restore', 'onbox', '--drill', '--json'])
  assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr)
  const r = json<RestoreReport>(res)
  assert.deepEqual(r.counts, {web: 2, workers: 3})
  assert.equal(r.verify!.hosts, 5)
  assert.deepEqual(r.up!.changes.map((c) => `${c.group}:${c.provider}:${c.create}`), ['web:box:2', 'workers:box:3'])
  assert.deepEqual(r.teardown!.left, [])
  assert.ok(!existsSync(localEnvRoot('drcloud', 'drill-onbox', project)), 'no sandbox left')
  assert.deepEqual(await madeIn('us-west-2', 'drill-onbox'), {instances: [], securityGroups: 0, templates: 0, asgs: []})
})

test('a drill builds drill-dr in us-west-2 and leaves nothing there', {skip}, async () => {
  const res = await run(['env', 'restore', 'dr', '--drill', '--json'])
  assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr)
  const r = json<RestoreReport>(res)
  assert.deepEqual(r.verify!.problems, [])
  assert.equal(r.verify!.hosts, 5)
  assert.deepEqual(r.teardown!.left, [])
  assert.ok(r.teardown!.down!.removed.some((x) => /auto scaling group/.test(x)), r.teardown!.down!.removed.join(', '))
  assert.deepEqual(await madeIn('us-west-2', 'drill-dr'), {instances: [], securityGroups: 0, templates: 0, asgs: []})
  assert.ok(!existsSync(path.join(project, '.dops/state/drcloud-drill-dr.json')))
  // dr itself is untouched by its drill, and goes with env down (which knows its restored groups)
  assert.deepEqual(count((await madeIn('us-west-2', 'dr')).instances), {web: 2, workers: 3})
  const down = await run(['env', 'down', '-e', 'dr', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout.slice(-2000) + down.stderr)
  assert.deepEqual(await madeIn('us-west-2', 'dr'), {instances: [], securityGroups: 0, templates: 0, asgs: []})
  assert.equal((await run(['env', 'down', '-e', 'prod', '--yes', '--json'])).code, 0)
})
