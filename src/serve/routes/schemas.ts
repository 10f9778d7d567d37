/** JSON Schemas shared by the API's routes (validation and the OpenAPI document both come from these). */

export const NAME = {type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]*$'} as const

export const envParams = {type: 'object', required: ['env'], properties: {env: {...NAME, description: 'an environment of the plan'}}} as const

export const errorResponse = {
  type: 'object',
  description: 'an error: `{error: {code, message}}`',
  properties: {error: {type: 'object', properties: {code: {type: 'string'}, message: {type: 'string'}}, additionalProperties: true}},
} as const

/** a documented response whose fields are all sent (no field of a core report is dropped by serialization) */
export const anyObject = (description: string) => ({type: 'object', description, additionalProperties: true}) as const

export const errors = {400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse} as const

export const JOB_KINDS = ['env.up', 'env.down', 'scale', 'deploy', 'deploy.git', 'rollback', 'run'] as const
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'skipped', 'superseded'] as const

export const jobSchema = {
  type: 'object',
  description: 'a job (src/serve/types.ts `Job`)',
  additionalProperties: true,
  properties: {
    id: {type: 'string'},
    kind: {type: 'string', enum: JOB_KINDS},
    env: {type: 'string'},
    state: {type: 'string', enum: JOB_STATES},
    params: {type: 'object', additionalProperties: true},
    trigger: {type: 'object', additionalProperties: true},
    createdAt: {type: 'string'},
    startedAt: {type: 'string'},
    endedAt: {type: 'string'},
    exitCode: {type: 'integer'},
    reason: {type: 'string'},
  },
} as const

export const jobResponse = {type: 'object', properties: {job: jobSchema}} as const
