/** Alertmanager's webhook payload (version 4, Alertmanager 0.25): its JSON schema (bounded) and what dops takes of it. */
import type {AlertIn} from '../../recover/types.js'

const labels = {type: 'object', maxProperties: 64, additionalProperties: {type: 'string', maxLength: 1024}} as const

export const payloadSchema = {
  type: 'object',
  required: ['version', 'status', 'alerts'],
  properties: {
    version: {const: '4'},
    groupKey: {type: 'string', maxLength: 4096},
    truncatedAlerts: {type: 'integer', minimum: 0},
    status: {enum: ['firing', 'resolved']},
    receiver: {type: 'string', maxLength: 1024},
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: {type: 'string', maxLength: 4096},
    alerts: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['status', 'labels', 'startsAt', 'fingerprint'],
        properties: {
          status: {enum: ['firing', 'resolved']},
          labels: {...labels, required: ['alertname']},
          annotations: labels,
          startsAt: {type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T', maxLength: 64},
          endsAt: {type: 'string', maxLength: 64},
          generatorURL: {type: 'string', maxLength: 4096},
          fingerprint: {type: 'string', minLength: 1, maxLength: 128},
        },
      },
    },
  },
} as const

export interface Payload {
  version: '4'
  status: 'firing' | 'resolved'
  alerts: Array<{status: 'firing' | 'resolved'; labels: Record<string, string>; startsAt: string; fingerprint: string}>
}

export function alertsOf(p: Payload): AlertIn[] {
  return p.alerts.map((a) => ({name: a.labels.alertname!, status: a.status, labels: a.labels, fingerprint: a.fingerprint, startsAt: a.startsAt}))
}
