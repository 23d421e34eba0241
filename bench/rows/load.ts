import { readFileSync } from "node:fs"
import { type Exchange, run } from "./keep-alive-client.js"

export type Planned = Exchange

export interface LoadResult {
  readonly ok: number
  readonly rps: number
  readonly p99: number
  readonly non2xx: number
  readonly errors: number
  /** Count per status code other than 2xx, e.g. `{ "503": 12 }`. */
  readonly refused: Readonly<Record<string, number>>
  /** The first body seen per non-2xx status, cut short. */
  readonly sample: Readonly<Record<string, string>>
  /** Share of one core the app process used during the run (Linux only; NaN elsewhere). */
  readonly appCpu: number
  /** The same for the app's main thread alone (its event loop), which bounds rows 3–4. */
  readonly mainCpu: number
  /** Share of the run the main thread was ready to run but waiting for a core (Linux schedstat; NaN elsewhere). */
  readonly mainWait: number
  /** Share of one core this process (the load generator) used during the run. */
  readonly loaderCpu: number
}

/** Seconds a thread has waited on a run queue for a core so far (Linux schedstat). */
const waitSeconds = (pid: number): number => {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e9
  } catch {
    return Number.NaN
  }
}

/** User + system CPU seconds of a process (or of one of its threads, by `stat` path) so far, from /proc. */
const cpuSeconds = (pid: number, stat = `/proc/${pid}/stat`): number => {
  try {
    const fields = readFileSync(stat, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

/**
 * Every planned request once, from this process (the app runs in another)
 * over 32 keep-alive connections (keep-alive-client.ts), after the `warmUp`
 * requests, sent the same way and not measured: the route's code runs its
 * first thousand requests or so before V8 has optimised it, which the
 * verifier rate it is compared with does not pay. The app's CPU share tells
 * whether it was saturated or starved by other processes on a shared machine;
 * the window ends at the last answer.
 */
export const measureLoad = async (url: string, pid: number, plan: ReadonlyArray<Planned>, warmUp: ReadonlyArray<Planned>): Promise<LoadResult> => {
  const port = Number(new URL(url).port)
  const warm = await run(port, warmUp, 32)
  if (warm.errors > 0 || warm.answers.some((a) => a.status < 200 || a.status >= 300)) {
    throw new Error(`warm-up: ${warm.errors} errors, statuses ${[...new Set(warm.answers.map((a) => a.status))].join(", ")}`)
  }
  const mainStat = `/proc/${pid}/task/${pid}/stat`
  const cpu0 = cpuSeconds(pid)
  const main0 = cpuSeconds(pid, mainStat)
  const wait0 = waitSeconds(pid)
  const own0 = process.cpuUsage()
  const t0 = performance.now()
  const result = await run(port, plan, 32)
  const seconds = (performance.now() - t0) / 1000
  const cpu1 = cpuSeconds(pid)
  const main1 = cpuSeconds(pid, mainStat)
  const wait1 = waitSeconds(pid)
  const own = process.cpuUsage(own0)
  const refused: Record<string, number> = {}
  const sample: Record<string, string> = {}
  let ok = 0
  for (const a of result.answers) {
    if (a.status >= 200 && a.status < 300) ok++
    else {
      refused[String(a.status)] = (refused[String(a.status)] ?? 0) + 1
      sample[String(a.status)] ??= a.body
    }
  }
  const millis = result.answers.map((a) => a.millis).sort((x, y) => x - y)
  return {
    ok,
    refused,
    sample,
    rps: ok / seconds,
    p99: Math.round(millis[Math.min(millis.length - 1, Math.floor(millis.length * 0.99))] ?? 0),
    non2xx: result.answers.length - ok,
    errors: result.errors,
    appCpu: (cpu1 - cpu0) / seconds,
    mainCpu: (main1 - main0) / seconds,
    mainWait: (wait1 - wait0) / seconds,
    loaderCpu: (own.user + own.system) / 1e6 / seconds
  }
}

/** What went wrong, for the row's note; undefined when every request succeeded. */
export const loadProblems = (r: LoadResult): string | undefined =>
  r.non2xx + r.errors === 0
    ? undefined
    : `${r.non2xx} non-2xx (${Object.entries(r.refused).map(([c, n]) => `${n}× ${c} ${r.sample[c] ?? ""}`).join(", ")}), ${r.errors} errors`

const percent = (share: number) => (Number.isNaN(share) ? "?" : `${Math.round(share * 100)}%`)

export const describeLoad = (r: LoadResult) =>
  `${r.ok} OK, 32 conns, p99 ${r.p99} ms, app CPU ${percent(r.appCpu)} (main thread ${percent(r.mainCpu)}, waiting for a core ${percent(r.mainWait)}), load CPU ${Math.round(r.loaderCpu * 100)}%`
