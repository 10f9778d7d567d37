/**
 * What an S3 state backend failure tells the user: the object, the step, the API's error code and a one-line hint
 * (credentials, bucket, endpoint). Nothing was changed when it is raised. A reply from S3 (access denied, no such
 * bucket) is a setting to fix: exit 2; no reply at all (bad endpoint, network down): exit 4, the store was not reached.
 */
import {DopsError, ExitCode} from '../errors.js'

const CREDENTIALS = /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|CredentialsProviderError|Forbidden|AllAccessDisabled/
const BUCKET = /NoSuchBucket|PermanentRedirect|AuthorizationHeaderMalformed|InvalidBucketName|NotFound/
const NETWORK = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|TimeoutError|RequestTimeout/

export interface S3Where {
  url: string
  bucket: string
  key: string
  endpoint?: string
  region: string
}

export function s3StateError(w: S3Where, what: string, e: unknown): DopsError {
  const err = e as {name?: string; code?: string; Code?: string; message?: string; $metadata?: {httpStatusCode?: number}}
  const status = err.$metadata?.httpStatusCode
  const code = err.Code ?? (err.name && err.name !== 'Error' ? err.name : undefined) ?? err.code ?? (status ? `HTTP ${status}` : 'Error')
  const all = `${code} ${err.code ?? ''} ${err.name ?? ''} ${err.message ?? ''}`
  const where = w.endpoint ? `endpoint ${w.endpoint}` : `region ${w.region}`
  let hint: string
  let exitCode: typeof ExitCode.INVALID_INPUT | typeof ExitCode.NONE_SUCCEEDED = ExitCode.INVALID_INPUT
  if (NETWORK.test(all) || (!status && !CREDENTIALS.test(all))) {
    hint = `check state.endpoint and the network: S3 (${where}) did not answer`
    exitCode = ExitCode.NONE_SUCCEEDED
  } else if (CREDENTIALS.test(all) || status === 403) hint = `check the AWS credentials (AWS_PROFILE or state.profile, AWS_ACCESS_KEY_ID) and that they may read and write s3://${w.bucket}/${w.key}`
  else if (BUCKET.test(all) || status === 404 || status === 301) hint = `check state.bucket (does bucket ${w.bucket} exist in ${where}?) and state.region`
  else hint = `check the AWS credentials, state.bucket, state.region and state.endpoint`
  const detail = err.message && err.message !== code && !/^UnknownError$/.test(err.message) ? ` (${err.message.split('\n')[0]!.slice(0, 200)})` : ''
  return new DopsError('STATE_UNAVAILABLE', `state ${w.url}: ${what} failed: ${code}${detail}; nothing was changed; ${hint}`, {exitCode, cause: e})
}
