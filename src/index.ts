/**
 * dops as a library. The CLI is a thin layer over these calls; nothing here prints or exits.
 */
export {DopsError, InvalidInputError, ExitCode, formatProblem, type Problem} from './errors.js'
export type {DopsEvent, Reporter} from './events.js'
/** Load, interpolate and validate a plan file. */
export {loadPlan, parsePlan, findPlanFile} from './plan/load.js'
export type {Plan, LoadedPlan} from './plan/types.js'
/** Resolve an environment (or an Ansible inventory) into hosts. */
export {resolveTargets} from './targets.js'
export {resolveEnvironment, pickEnvironment} from './inventory/resolve.js'
export {readAnsibleInventory, inventoryHosts} from './inventory/ansible.js'
export type {Host} from './inventory/host.js'
/** Select hosts, plan batches, run across a fleet. */
export {selectHosts, type Selection} from './fleet/select.js'
export {planBatches, failureBudget} from './fleet/batches.js'
export {runFleet, type RunSpec, type RunOutcome} from './fleet/run.js'
export {runJob, type RunJobParams} from './run-job.js'
export {validateJob} from './validate-job.js'
export type {HostResult, RunSummary} from './fleet/types.js'
/** SSH transport and known_hosts. */
export {SshTransport} from './transport/ssh.js'
export {KnownHosts, fingerprint} from './transport/known-hosts.js'
export {shQuote, buildRemoteCommand} from './transport/remote-command.js'
