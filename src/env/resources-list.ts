/**
 * The environment-level resources, in the order `env up` reconciles them (load balancers before the DNS records
 * that alias them); `env down` tears them down in reverse. Each kind's module is imported only when an environment
 * has something of that kind (see EnvResource.applies).
 */
import type {EnvResource} from './resources.js'

export const envResources: EnvResource[] = []

import {dns} from './dns.js'
envResources.push(dns)
