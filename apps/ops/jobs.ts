import { hostname } from "node:os"
import { Cause, Clock, Context, Duration, Effect, Exit, Layer } from "effect"
import { Metrics } from "../../ports/metrics.js"

export interface JobRun {
  readonly job: string
  readonly started_at: number
  readonly duration_ms: number
  readonly outcome: "succeeded" | "failed"
  readonly error: string | null
}

export interface JobStatus {
  readonly name: string
  /** null until the job's first run says how often it runs. */
  readonly every_seconds: number | null
  /** Whether this replica holds the job's leader lock (only the holder runs it). */
  readonly leader_here: boolean
  readonly leader_since: number | null
  readonly runs: number
  readonly failures: number
  readonly last_run: JobRun | null
  /** When the next run is due on this replica (the holder); null while another replica leads. */
  readonly next_run_at: number | null
}

/** Runs kept for /admin/jobs/statistics. */
const HISTORY = 2000

/**
 * What the scheduled jobs did on this replica: each run's start, duration and
 * outcome (also counted in relaygate_job_runs_total and timed in
 * relaygate_job_duration_seconds), and which jobs this replica leads.
 */
export class JobRegistry extends Context.Tag("relaygate/apps/JobRegistry")<JobRegistry, {
  /** This process, as `host:pid`. */
  readonly replica: string
  /** Wraps one run of a job that repeats every `every`. */
  readonly track: (name: string, every: Duration.DurationInput) => <A, E, R>(run: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Makes a job known before this replica may lead it (it is listed from then on). */
  readonly register: (name: string) => Effect.Effect<void>
  /** Wraps a job's whole life under its leader lock. */
  readonly leading: <A, E, R>(name: string, job: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly statuses: Effect.Effect<ReadonlyArray<JobStatus>>
  readonly history: (since: number) => ReadonlyArray<JobRun>
  /** Forgets runs that started before `before`. */
  readonly prune: (before: number) => void
}>() {}

interface State {
  every_ms: number
  leader_since: number | null
  runs: number
  failures: number
  last: JobRun | null
}

export const make = Effect.gen(function*() {
  const metrics = yield* Metrics
  const jobs = new Map<string, State>()
  const history: Array<JobRun> = []
  const state = (name: string): State => {
    let s = jobs.get(name)
    if (s === undefined) {
      s = { every_ms: 0, leader_since: null, runs: 0, failures: 0, last: null }
      jobs.set(name, s)
    }
    return s
  }

  const track = (name: string, every: Duration.DurationInput) => <A, E, R>(run: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      state(name).every_ms = Duration.toMillis(Duration.decode(every))
      const started = yield* Clock.currentTimeMillis
      const t0 = performance.now()
      const exit = yield* Effect.exit(run)
      if (Exit.isInterrupted(exit)) return yield* exit
      const durationMs = performance.now() - t0
      const failed = Exit.isFailure(exit)
      const entry: JobRun = {
        job: name,
        started_at: started,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        outcome: failed ? "failed" : "succeeded",
        error: failed ? Cause.pretty(exit.cause).split("\n")[0] ?? "failed" : null
      }
      const s = state(name)
      s.runs += 1
      if (failed) s.failures += 1
      s.last = entry
      history.push(entry)
      if (history.length > HISTORY) history.splice(0, history.length - HISTORY)
      yield* metrics.increment("relaygate_job_runs_total", { job: name, outcome: entry.outcome })
      yield* metrics.observe("relaygate_job_duration_seconds", { job: name }, durationMs / 1000)
      return yield* exit
    })

  const leading = <A, E, R>(name: string, job: Effect.Effect<A, E, R>) =>
    Clock.currentTimeMillis.pipe(
      Effect.tap((now) => Effect.sync(() => void (state(name).leader_since = now))),
      Effect.zipRight(job),
      Effect.ensuring(Effect.sync(() => void (state(name).leader_since = null)))
    )

  const statuses = Effect.sync(() =>
    Array.from(jobs.entries()).map(([name, s]): JobStatus => ({
      name,
      every_seconds: s.every_ms === 0 ? null : s.every_ms / 1000,
      leader_here: s.leader_since !== null,
      leader_since: s.leader_since,
      runs: s.runs,
      failures: s.failures,
      last_run: s.last,
      next_run_at: s.leader_since === null || s.last === null
        ? null
        : s.last.started_at + s.last.duration_ms + s.every_ms
    })).sort((a, b) => a.name.localeCompare(b.name))
  )

  return JobRegistry.of({
    replica: `${hostname()}:${process.pid}`,
    track,
    register: (name) => Effect.sync(() => void state(name)),
    leading,
    statuses,
    history: (since) => history.filter((r) => r.started_at >= since),
    prune: (before) => {
      const kept = history.filter((r) => r.started_at >= before)
      history.splice(0, history.length, ...kept)
    }
  })
})

export const layer = Layer.effect(JobRegistry, make)
