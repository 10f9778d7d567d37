/**
 * Progress of a deployment on stderr, from the core's events. On a terminal: one live line (live-line.ts, cut to the
 * terminal's width) showing the batch in flight and each of its hosts' current lifecycle event and time (ticking),
 * with each finished batch printed above it, on stderr. In CI or a pipe: plain lines, `start w01 BeforeInstall` / `done w01 BeforeInstall (1.20s)`.
 * With --json: nothing but warnings. The plan is printed the moment it is known, before any host changes. Host
 * output (with --stream) goes to stdout, prefixed by host.
 */
import type {DopsEvent, Reporter} from '../events.js'
import type {HostResult} from '../fleet/types.js'
import {formatMs} from '../util/duration.js'
import {formatDeployPlan} from './deploy-format.js'
import {colorFor, statusWord} from './format.js'
import {withLiveLine, type LiveLine} from './live-line.js'
import type {OutputMode} from './progress.js'

interface HostLine {
  host: string
  event?: string
  since: number
  result?: HostResult
}

export async function withDeployProgress<T>(mode: OutputMode, opts: {stream: boolean; title: string}, fn: (reporter: Reporter) => Promise<T>): Promise<T> {
  const c = colorFor(process.stderr)
  const out = colorFor(process.stdout)
  const live = mode === 'tty' && !opts.stream
  let task: LiveLine | undefined
  let batch = {index: 0, total: 0}
  let inFlight: HostLine[] = []
  // lines printed before the live line is drawn (it starts asynchronously), in order
  const early: string[] = []
  const hostLine = (h: HostLine) =>
    h.result ? `${c.bold(h.host)}  ${statusWord(c, h.result)} ${c.dim(`(${formatMs(h.result.durationMs)})`)}` : `${c.bold(h.host)}  ${h.event ?? 'connecting'} ${c.dim(formatMs(performance.now() - h.since))}`
  const render = () => {
    if (!task) return
    task.title = `${opts.title}${batch.total ? `: batch ${batch.index}/${batch.total}` : ''}`
    task.note = inFlight.filter((h) => !h.result).map(hostLine).join(', ')
  }
  const plain = (s: string) => process.stderr.write(s + '\n')
  /** a lasting line on stderr: above the live line while it is drawn */
  const above = (s: string) => (task ? task.above(s, process.stderr) : live ? early.push(s) : plain(s))

  const reporter: Reporter = (e: DopsEvent) => {
    switch (e.type) {
      case 'warning':
        above(c.yellow(`warning: ${e.message}`))
        return
      case 'host.output':
        if (mode !== 'json') process.stdout.write(`${out.cyan(e.host)} ${e.stream === 'stderr' ? out.yellow('|') : '|'} ${e.line}\n`)
        return
      case 'run.stopped':
        above(c.yellow(e.message))
        return
      default:
        break
    }
    if (mode === 'json') return
    switch (e.type) {
      case 'deploy.plan':
        plain(formatDeployPlan(c, e.report))
        break
      case 'hostkey.learned':
        above(`learned host key of ${e.host}: ${e.fingerprint} (recorded in ${e.file})`)
        break
      case 'batch.start':
        batch = {index: e.index, total: e.total}
        inFlight = e.hosts.map((host) => ({host, since: performance.now()}))
        if (live) start()
        else plain(`batch ${e.index}/${e.total}: ${e.hosts.join(', ')}`)
        break
      case 'deploy.event': {
        const h = inFlight.find((x) => x.host === e.host)
        if (h && e.state === 'start') Object.assign(h, {event: e.event, since: performance.now()})
        if (!live) plain(e.state === 'start' ? `start ${e.host} ${e.event}` : `${e.ok === false ? c.red('failed') : 'done'} ${e.host} ${e.event} (${formatMs(e.ms ?? 0)})`)
        break
      }
      case 'host.end': {
        const h = inFlight.find((x) => x.host === e.result.host)
        if (h) h.result = e.result
        if (!live) plain(`${e.result.status === 'ok' ? 'ok' : statusWord(c, e.result)} ${e.result.host} (${formatMs(e.result.durationMs)})`)
        break
      }
      case 'batch.end':
        if (live) above(`batch ${e.index}/${batch.total}: ${inFlight.map(hostLine).join(', ')}`)
        inFlight = []
        break
      default:
        break
    }
    render()
  }

  if (!live) return fn(reporter)
  // on a terminal the live line starts with the first batch, after the plan has been printed
  let started: Promise<unknown> | undefined
  let work: Promise<T> | undefined
  let ticker: NodeJS.Timeout | undefined
  function start(): void {
    started ??= withLiveLine(opts.title, async (line) => {
      for (const s of early.splice(0)) line.above(s, process.stderr)
      task = line
      render()
      ticker = setInterval(render, 200)
      try {
        await work?.catch(() => undefined)
      } finally {
        clearInterval(ticker)
        task = undefined
      }
    }).catch(() => undefined)
  }
  work = fn(reporter)
  try {
    return await work
  } finally {
    await started
    if (ticker) clearInterval(ticker)
    for (const s of early.splice(0)) plain(s)
  }
}
