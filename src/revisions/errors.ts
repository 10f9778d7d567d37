/** A revision store failure as the user reads it: the object, the step, S3's error code and a one-line hint. */
import {DopsError, ExitCode} from '../errors.js'

const CREDENTIALS = /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|CredentialsProviderError|Forbidden/
const NETWORK = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|TimeoutError|RequestTimeout/

export const s3Status = (e: unknown): number | undefined => (e as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
export const s3Name = (e: unknown): string => String((e as {name?: string}).name ?? '')
export const isNotFound = (e: unknown): boolean => s3Status(e) === 404 || /^(NotFound|NoSuchKey)$/.test(s3Name(e))

export function storeError(url: string, what: string, e: unknown, endpoint?: string): DopsError {
  const err = e as {name?: string; code?: string; message?: string}
  const status = s3Status(e)
  const code = (err.name && err.name !== 'Error' ? err.name : undefined) ?? err.code ?? (status ? `HTTP ${status}` : 'Error')
  const all = `${code} ${err.code ?? ''} ${err.message ?? ''}`
  let hint = 'check revisions.store, its region and endpoint, and the AWS credentials'
  let exitCode: typeof ExitCode.INVALID_INPUT | typeof ExitCode.NONE_SUCCEEDED = ExitCode.INVALID_INPUT
  if (NETWORK.test(all) || (!status && !CREDENTIALS.test(all))) {
    hint = `the store (${endpoint ? `endpoint ${endpoint}` : 'S3'}) did not answer; check revisions.endpoint and the network`
    exitCode = ExitCode.NONE_SUCCEEDED
  } else if (CREDENTIALS.test(all) || status === 403) hint = `check the AWS credentials (AWS_PROFILE or revisions.profile) and that they may read and write ${url}`
  else if (/NoSuchBucket/.test(all)) hint = 'the bucket does not exist: create it, or fix revisions.store'
  const detail = err.message && err.message !== code && err.message !== 'UnknownError' ? ` (${err.message.split('\n')[0]!.slice(0, 200)})` : ''
  return new DopsError('STORE_FAILED', `revision store ${url}: ${what} failed: ${code}${detail}; ${hint}`, {exitCode, cause: e})
}
