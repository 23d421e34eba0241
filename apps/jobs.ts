import { Duration, Effect, Layer, Schedule } from "effect"
import { EpochService } from "../core/epochs/service.js"
import { CeremonyService } from "../core/signing/ceremony.service.js"
import { SessionService } from "../core/signing/service.js"

const SWEEP_EVERY = Duration.seconds(10)

/**
 * Background work of the ark signing module: at start, ceremonies left in
 * `signing` by a previous process are resumed or failed; then overdue sessions
 * and ceremonies are swept on a fixed schedule.
 */
export const SigningJobsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const sessions = yield* SessionService
    const ceremonies = yield* CeremonyService
    const recovered = yield* ceremonies.recover()
    if (recovered.resumed + recovered.failed > 0) {
      yield* Effect.logInfo("recovered ceremonies after restart").pipe(Effect.annotateLogs(recovered))
    }
    yield* sessions.sweep().pipe(
      Effect.tap((r) =>
        r.expired_sessions + r.timed_out_ceremonies > 0 ? Effect.logInfo("sweep").pipe(Effect.annotateLogs({ ...r })) : Effect.void),
      Effect.catchAll((e) => Effect.logWarning("sweep failed", e.message)),
      Effect.repeat(Schedule.spaced(SWEEP_EVERY)),
      Effect.forkScoped
    )
  })
)

const ROLLOVER_EVERY = Duration.minutes(1)

/**
 * Epoch rollover: assign each epoch as it starts rather than on its first
 * request. Idempotent (the store keeps one assignment per epoch), so several
 * replicas may all run it.
 */
export const EpochsJobsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const epochs = yield* EpochService
    yield* epochs.ensureCurrentEpoch().pipe(
      Effect.catchAll((e) => Effect.logWarning("epoch rollover failed", e.message)),
      Effect.repeat(Schedule.spaced(ROLLOVER_EVERY)),
      Effect.forkScoped
    )
  })
)
