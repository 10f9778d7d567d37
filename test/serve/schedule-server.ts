/**
 * A scheduler process for tests (what `dops serve` runs for schedules): job store and runner, leader lease,
 * scheduler, on the project of argv[2] with the plan argv[3] and lease argv[4] ms. Prints `leader` once it leads
 * and each log line; runs until killed.
 */
import {openJobs} from '../../src/serve/jobs/index.js'
import {openLeader} from '../../src/serve/leader.js'
import {startScheduler} from '../../src/serve/schedules/scheduler.js'

const [dir, plan, lease] = process.argv.slice(2) as [string, string, string]
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`)
const {store, runner} = await openJobs(dir, plan)
const leader = await openLeader({projectDir: dir, planFile: plan, log, leaseMs: Number(lease)})
await startScheduler({projectDir: dir, planFile: plan, version: 'test', runner, store, leader, publicRead: false, log}, {leaderPollMs: 200})
process.stdout.write(`ready ${leader.isLeader() ? 'leader' : 'follower'}\n`)
