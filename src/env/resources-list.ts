/**
 * The environment-level resources, in the order `env up` reconciles them (load balancers before the DNS records
 * that alias them); `env down` tears them down in reverse. Each kind's module is imported only when an environment
 * has something of that kind (see EnvResource.applies); so is each load balancer backend (one line each below).
 */
import type {EnvResource} from './resources.js'
import {lbBackendModules, loadBalancers} from './load-balancers.js'
import {dns} from './dns.js'

lbBackendModules.aws = () => import('../providers/aws/elb.js')
lbBackendModules.local = () => import('../providers/local/lb.js')

export const envResources: EnvResource[] = [loadBalancers, dns]
