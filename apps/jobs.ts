import { Duration, Effect, Layer, Schedule } from "effect"
import { EpochService } from "../core/epochs/service.js"
import { CeremonyService } from "../core/signing/ceremony.service.js"
import { SessionService } from "../core/signing/service.js"
import { LeaderLock } from "../ports/leader-lock.js"
import { JobRegistry } from "./ops/jobs.js"
import { quietFailures } from "./quiet-failures.js"

const SWEEP_EVERY = Duration.seconds(10)

/**
 * Runs `job` forked for the layer's lifetime on whichever replica holds its
 * lock (REDIS_URL set), or right here (one process). Jobs are loops; the lock
 * moves them to another replica when this one stops or dies. The job
 * registry records while this replica leads (/queue-status).
 */
export const leading = <E, R>(name: string, job: Effect.Effect<void, E, R>) =>
  Effect.flatMap(Effect.zip(LeaderLock, JobRegistry), ([lock, jobs]) =>
    Effect.zipRight(jobs.register(name), Effect.forkScoped(lock.lead(name, jobs.leading(name, job)))))

/** One run of job `name` that repeats every `every`, recorded (start, duration, outcome) before its failure is logged and swallowed. */
export const tracked = (name: string, every: Duration.DurationInput) =>
  <A, E, R>(run: Effect.Effect<A, E, R>) => Effect.flatMap(JobRegistry, (jobs) => jobs.track(name, every)(run))

/**
 * Background work of the ark signing module, on one replica at a time: when
 * it takes the job, ceremonies left in `signing` by a previous runner are
 * resumed or failed; then overdue sessions and ceremonies are swept on a
 * fixed schedule.
 */
export const SigningJobsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const sessions = yield* SessionService
    const ceremonies = yield* CeremonyService
    const recover = ceremonies.recover().pipe(
      Effect.tap((recovered) =>
        recovered.resumed + recovered.failed > 0
          ? Effect.logInfo("recovered ceremonies after restart").pipe(Effect.annotateLogs(recovered))
          : Effect.void
      ),
      Effect.catchAll((e) => Effect.logWarning("ceremony recovery failed", e.message))
    )
    const sweep = sessions.sweep().pipe(
      tracked("signing.sweep", SWEEP_EVERY),
      Effect.tap((r) =>
        r.expired_sessions + r.timed_out_ceremonies > 0 ? Effect.logInfo("sweep").pipe(Effect.annotateLogs({ ...r })) : Effect.void),
      quietFailures("sweep"),
      Effect.repeat(Schedule.spaced(SWEEP_EVERY))
    )
    yield* leading("signing.sweep", Effect.zipRight(recover, sweep))
  })
)

const ROLLOVER_EVERY = Duration.minutes(1)

/**
 * Epoch rollover: assign each epoch as it starts rather than on its first
 * request. Idempotent (the store keeps one assignment per epoch); the lock
 * only saves the other replicas the work.
 */
export const EpochsJobsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const epochs = yield* EpochService
    yield* leading(
      "epochs.rollover",
      epochs.ensureCurrentEpoch().pipe(
        tracked("epochs.rollover", ROLLOVER_EVERY),
        quietFailures("epoch rollover"),
        Effect.repeat(Schedule.spaced(ROLLOVER_EVERY))
      )
    )
  })
)
