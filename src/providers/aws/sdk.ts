/**
 * The aws provider's shared parts: the plan's spec shape, the SDK clients (loaded only when an aws group is used,
 * one pair per region, endpoint and profile for the run), the tags and names dops gives its resources, and how an
 * API failure becomes an error (its own exit code; a credentials problem gets a one-line hint).
 */
import {createRequire} from 'node:module'
import {DopsError, ExitCode} from '../../errors.js'
import type {ProviderContext} from '../types.js'
import {parseDuration} from '../../util/duration.js'

export type Ec2 = typeof import('@aws-sdk/client-ec2')
export type Asg = typeof import('@aws-sdk/client-auto-scaling')

export interface Volume {
  device?: string
  size: string
  type?: string
  iops?: number
  throughput?: number
  encrypted?: boolean
}

export interface Spec {
  count?: number
  image?: string
  owners?: string[]
  size?: string
  storage?: Volume[]
  firewall?: Array<{port: number | string; protocol?: string; from?: string[]}>
  subnet?: string
  subnets?: string[]
  securityGroups?: string[]
  keyPair?: string
  autoScaling?: {min?: number; max?: number; desired?: number}
  tags?: Record<string, string | number | boolean>
}

export interface Sdk {
  ec2m: Ec2
  asgm: Asg
  ec2: import('@aws-sdk/client-ec2').EC2Client
  asg: import('@aws-sdk/client-auto-scaling').AutoScalingClient
  /** region and endpoint: the key of per-region caches */
  where: string
}

interface Settings {
  region?: string
  endpoint?: string
  profile?: string
  addressing?: string
  sshTimeout?: string
  deleteTimeout?: string
}
export const settingsOf = (ctx: ProviderContext) => ctx.settings as Settings
export const regionOf = (ctx: ProviderContext) => settingsOf(ctx).region ?? process.env.AWS_REGION ?? 'us-east-1'

const clients = new Map<string, Promise<Sdk>>()

/** The clients for the group's region, endpoint and profile: made once per run. */
export function sdk(ctx: ProviderContext): Promise<Sdk> {
  const s = settingsOf(ctx)
  const region = regionOf(ctx)
  const key = JSON.stringify([region, s.endpoint ?? '', s.profile ?? ''])
  let made = clients.get(key)
  if (!made) {
    made = (async () => {
      // the SDK's CommonJS build loads in about half the time of its ES modules (one bundled file per client)
      const load = createRequire(import.meta.url)
      const ec2m = load('@aws-sdk/client-ec2') as Ec2
      const asgm = load('@aws-sdk/client-auto-scaling') as Asg
      const conf = {region, endpoint: s.endpoint, profile: s.profile, maxAttempts: 8, retryMode: 'standard'}
      return {ec2m, asgm, ec2: new ec2m.EC2Client(conf), asg: new asgm.AutoScalingClient(conf), where: `${region} ${s.endpoint ?? ''}`}
    })()
    clients.set(key, made)
  }
  return made
}

export const tagKeys = (ctx: ProviderContext) => ({'dops:project': ctx.project, 'dops:env': ctx.env, 'dops:group': ctx.group})
export const nameOf = (ctx: ProviderContext, group = ctx.group) => `dops-${ctx.project}-${ctx.env}-${group}`
/** Filters for what dops made for the environment (every group), or for one group. */
export const envFilters = (ctx: ProviderContext, group?: string) => [
  {Name: 'tag:dops:project', Values: [ctx.project]},
  {Name: 'tag:dops:env', Values: [ctx.env]},
  ...(group ? [{Name: 'tag:dops:group', Values: [group]}] : []),
]

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'AuthFailure', 'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'InvalidAccessKeyId', 'MissingAuthenticationToken', 'RequestExpired'])
const CREDENTIALS_HINT = 'hint: the AWS credentials are missing or invalid; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the provider\'s `profile` (`aws sts get-caller-identity` shows who you are)'

/** An API call failed: its error, with the provider exit code (and a hint when it is about credentials). */
export function apiError(ctx: ProviderContext, what: string, e: unknown): DopsError {
  const err = e as {name?: string; message?: string}
  const name = err.name ?? 'Error'
  const hint = CREDENTIAL_ERRORS.has(name) || /credential/i.test(name) ? `\n${CREDENTIALS_HINT}` : ''
  const msg = String(err.message ?? e).split('\n')[0]
  return new DopsError('PROVIDER_ERROR', `aws (group ${ctx.group}): ${what} failed: ${name}: ${msg}${hint}`, {exitCode: ExitCode.PROVIDER_FAILED})
}

export function fail(ctx: ProviderContext, what: string, e: unknown): never {
  throw apiError(ctx, what, e)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Seconds to wait for instances to run (sshTimeout, default 5m) and for things to go (deleteTimeout, default 10m). */
export function waitSeconds(ctx: ProviderContext, which: 'run' | 'delete'): number {
  const s = settingsOf(ctx)
  const v = which === 'run' ? (s.sshTimeout ?? '5m') : (s.deleteTimeout ?? '10m')
  return Math.max(which === 'run' ? 30 : 1, Math.round((parseDuration(String(v)) ?? (which === 'run' ? 300_000 : 600_000)) / 1000))
}
