/** `dops serve`'s pieces for the recovery tests: the job store and runner of a project, and the alerts plugin on a real listener. */
import Fastify from 'fastify'
import {openJobs} from '../../src/serve/jobs/index.js'
import alertsPlugin from '../../src/serve/alerts/plugin.js'
import type {ServeContext} from '../../src/serve/types.js'

export async function startServer(projectDir: string, planFile: string, token: string): Promise<{url: string; ctx: ServeContext; logs: string[]; close: () => Promise<void>}> {
  const {store, runner} = await openJobs(projectDir, planFile)
  const logs: string[] = []
  const ctx: ServeContext = {projectDir, planFile, version: 'test', runner, store, leader: {isLeader: () => true, holder: () => undefined}, publicRead: true, log: (l) => void logs.push(l)}
  const app = Fastify({logger: false})
  await app.register(alertsPlugin, {ctx, alertmanagerToken: token})
  const url = await app.listen({host: '127.0.0.1', port: 0})
  return {
    url,
    ctx,
    logs,
    close: async () => {
      await app.close()
      await runner.close()
    },
  }
}
