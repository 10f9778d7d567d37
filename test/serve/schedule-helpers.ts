/** A project whose hosts are this machine (`ansible_connection=local`), and a serve context over the real job store and runner. */
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {openJobs} from '../../src/serve/jobs/index.js'
import {openLeader, type LeaderHandle} from '../../src/serve/leader.js'
import {startScheduler, type SchedulerHandle} from '../../src/serve/schedules/scheduler.js'
import type {ServeContext} from '../../src/serve/types.js'

export function project(schedules: string, extra = '', dir = mkdtempSync(path.join(os.tmpdir(), 'dops-sched-'))): {dir: string; plan: string} {
  writeFileSync(path.join(dir, 'hosts.ini'), 'here ansible_connection=local\n')
  const plan = path.join(dir, 'dops.yml')
  writeFileSync(plan, `version: 1\nproject: sched\n${extra}environments:\n  ops:\n    groups:\n      ctl: {provider: static, inventory: hosts.ini}\nschedules:\n${schedules}`)
  return {dir, plan}
}

export interface Server {
  ctx: ServeContext
  leader: LeaderHandle
  scheduler: SchedulerHandle
  logs: string[]
  /** a crash: nothing released, nothing waited for */
  kill(): Promise<void>
  stop(): Promise<void>
}

export async function startServer(dir: string, plan: string, leaseMs = 2000): Promise<Server> {
  const logs: string[] = []
  const log = (line: string) => void logs.push(`${new Date().toISOString()} ${line}`)
  const {store, runner} = await openJobs(dir, plan)
  const leader = await openLeader({projectDir: dir, planFile: plan, log, leaseMs})
  const ctx: ServeContext = {projectDir: dir, planFile: plan, version: 'test', runner, store, leader, publicRead: false, log}
  const scheduler = await startScheduler(ctx, {leaderPollMs: 200})
  return {
    ctx,
    leader,
    scheduler,
    logs,
    kill: async () => {
      await leader.close({release: false})
      await scheduler.stop()
      await runner.close()
    },
    stop: async () => {
      await scheduler.stop()
      await leader.close()
      await runner.close()
    },
  }
}

/** Poll `cond` every 100 ms until it holds, at most `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** The slots a server's log says it started or skipped, by schedule. */
export function firedSlots(logs: string[], name: string): string[] {
  const re = new RegExp(`schedule ${name}: (\\S+) (?:started job|skipped)`)
  return logs.map((l) => re.exec(l)?.[1]).filter((s): s is string => !!s)
}
