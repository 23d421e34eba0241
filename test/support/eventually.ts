import { Effect } from "effect"

/**
 * Polls `check` in real time until `ok` holds; dies naming `what` after `ms`.
 * For tests against child processes and sockets, where the test clock does not reach.
 */
export const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, ok: (a: A) => boolean, what: string, ms = 15_000, every = 50) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (Date.now() - start < ms) {
      const a = yield* check
      if (ok(a)) return a
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, every)))
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })
