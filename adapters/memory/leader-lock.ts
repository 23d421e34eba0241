import { Duration, Effect, Layer } from "effect"
import { LeaderLock } from "../../ports/leader-lock.js"

/** How long a job that ended or failed waits before it runs again. */
const RESTART_AFTER = Duration.seconds(1)

/**
 * One process is one replica: the lock is a semaphore per name, so two
 * `lead` calls for one job in this process still run it one at a time, and
 * the second takes over when the first is interrupted.
 */
export const make = Effect.sync(() => {
  const locks = new Map<string, Effect.Semaphore>()
  const lockOf = (name: string) => {
    let s = locks.get(name)
    if (s === undefined) {
      s = Effect.unsafeMakeSemaphore(1)
      locks.set(name, s)
    }
    return s
  }
  return LeaderLock.of({
    lead: <E, R>(name: string, job: Effect.Effect<void, E, R>) =>
      lockOf(name).withPermits(1)(
        job.pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("job failed; it runs again", cause).pipe(Effect.annotateLogs({ job: name })))
        )
      ).pipe(Effect.zipRight(Effect.sleep(RESTART_AFTER)), Effect.forever, Effect.withSpan("LeaderLock.lead", { attributes: { name } }))
  })
})

export const layer = Layer.effect(LeaderLock, make)
