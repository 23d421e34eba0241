import { Effect } from "effect"

/**
 * For a job that runs every few seconds: its first failure is logged as a
 * warning and the recovery as info, while the failures in between (the same
 * outage, tick after tick) go to debug. A dependency that is down for an hour
 * is then two lines in the log, not hundreds; the breakers in front of the
 * dependencies keep those ticks from reaching it.
 */
export const quietFailures = (what: string) => {
  let failing = false
  return <A, E extends { readonly message: string }, R>(run: Effect.Effect<A, E, R>): Effect.Effect<A | void, never, R> =>
    run.pipe(
      Effect.tap(() => {
        if (!failing) return Effect.void
        failing = false
        return Effect.logInfo(`${what} works again`)
      }),
      Effect.catchAll((e) => {
        if (failing) return Effect.logDebug(`${what} still failing`).pipe(Effect.annotateLogs({ reason: e.message }))
        failing = true
        return Effect.logWarning(`${what} failed; retried every run, logged again when it recovers`).pipe(Effect.annotateLogs({ reason: e.message }))
      })
    )
}
