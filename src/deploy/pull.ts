/**
 * `distribution: pull`: the revision is pushed once to the revision store and each host downloads it itself (curl,
 * from a pre-signed URL, bounded in time), then verifies its sha256 before anything is unpacked or installed. The
 * URL reaches the host on curl's stdin (`-K -`), never on a command line, and is never printed or recorded.
 */
import {InvalidInputError} from '../errors.js'
import type {RevisionsSpec} from '../plan/types.js'
import {openStore} from '../revisions/client.js'
import {DEFAULT_PRESIGN_SECONDS, maskPresigned, presignGet} from '../revisions/presign.js'
import {pushRevision, type PushResult} from '../revisions/push.js'
import {parseDuration} from '../util/duration.js'
import type {PreparedRevision, PullUrl} from './prepare.js'

export const DOWNLOAD_EXIT = 43

/** How long a host may take to download the revision (connect + transfer), at most the URL's validity. */
export const PULL_TIMEOUT_SECONDS = 600

/** curl's config (read from stdin): the URL as a quoted string. */
export function curlConfig(url: string): string {
  return `url = "${url.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`
}

/** The receive script's line that gets the archive: curl from the URL on stdin, any failure a download error. */
export function pullReceiveLine(timeoutSec: number): string {
  const t = Math.max(1, Math.round(timeoutSec))
  return [
    `command -v curl >/dev/null 2>&1 || { echo "curl is not installed on the host: distribution: pull needs it; nothing was installed" >&2; exit ${DOWNLOAD_EXIT}; }`,
    `curl -fsS --connect-timeout 10 --max-time ${t} --retry 2 --retry-delay 1 -o "$T/bundle.tgz" -K - || { rc=$?; echo "downloading the revision from the store failed (curl exit $rc); nothing was installed" >&2; exit ${DOWNLOAD_EXIT}; }`,
  ].join('\n')
}

/** Host output as it may be shown or recorded: the pre-signed URL (and any signature) elided. */
export function scrubPresigned(text: string, url: string | undefined): string {
  const masked = url ? text.split(url).join(maskPresigned(url)) : text
  return masked.replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/g, '$1…')
}

export interface PullSetup {
  pushed: PushResult
  /** seconds the pre-signed URL is valid */
  expiresIn: number
}

/** Push the prepared bundle to the store (skipped when there) and hand the hosts a pre-signed URL of it. */
export async function setUpPull(prepared: PreparedRevision, spec: RevisionsSpec | undefined, app: string, commit?: string): Promise<PullSetup> {
  const store = openStore(spec)
  if (!store) throw new InvalidInputError(`apps.${app}.distribution: pull needs a revision store: add \`revisions: {store: s3://bucket/prefix}\` to the plan; nothing was deployed`)
  const pushed = await pushRevision(store, prepared.bundleFile, {app, revision: prepared.contentId, commit}, {sha256: prepared.sha256})
  const expiresIn = (parseDuration(spec?.presignExpiry) ?? DEFAULT_PRESIGN_SECONDS * 1000) / 1000
  const sign = async () => {
    const at = Date.now()
    return {url: await presignGet(pushed.url, store.settings, expiresIn), expiresAt: at + expiresIn * 1000}
  }
  prepared.pull = {...(await sign()), timeoutSec: Math.min(PULL_TIMEOUT_SECONDS, expiresIn), validSec: expiresIn, resign: sign}
  return {pushed, expiresIn}
}

/**
 * The URL a host downloads from now: signed again (once, however many hosts ask at the same time) when what is left of
 * its validity would not cover a download (its timeout) and a minute more (or half its validity, when shorter): a deploy that waits for a lock or rolls
 * through many batches outlives the first URL.
 */
export async function currentPullUrl(p: PullUrl, now = Date.now()): Promise<string> {
  // a short validity: signed again when half of it is gone (not on every host)
  const margin = Math.min((p.timeoutSec + 60) * 1000, ((p.validSec ?? Infinity) * 1000) / 2)
  if (p.resign && p.expiresAt !== undefined && p.expiresAt - now < margin) {
    p.resigning ??= p
      .resign()
      .then((r) => {
        p.url = r.url
        p.expiresAt = r.expiresAt
      })
      .finally(() => {
        p.resigning = undefined
      })
    await p.resigning
  }
  return p.url
}
