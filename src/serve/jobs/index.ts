/** The job store and runner of a project, with the core job kinds registered: what `dops serve` and tests open. */
import {registerCoreKinds} from './kinds.js'
import {Runner} from './runner.js'
import {JsonlJobStore} from './store.js'

export async function openJobs(projectDir: string, planFile: string): Promise<{store: JsonlJobStore; runner: Runner}> {
  registerCoreKinds()
  const store = new JsonlJobStore(projectDir)
  await store.open()
  return {store, runner: new Runner(store, {projectDir, planFile})}
}

export {JsonlJobStore, serveDir} from './store.js'
export {Runner, newJobId} from './runner.js'
export {insideProject} from './kinds.js'
