/**
 * Circuit breakers around outbound calls (daemons, stores, relays, chain
 * endpoints). Every adapter keeps its own timeout on each call; the breaker
 * counts the calls that failed because the dependency did not answer, and
 * once it is open refuses further calls at once, so requests that need a dead
 * dependency get their 503 immediately instead of each waiting for a timeout,
 * and the dependency is tried again by one probe per cool-down.
 */
import { Cause, Clock, Context, Data, Effect, Exit, Layer, Option, Ref } from "effect"
import * as Machine from "./breaker.machine.js"

export type { BreakerSettings } from "./breaker.machine.js"

/** The breaker refused the call without trying: the dependency failed repeatedly and its cool-down is not over. */
export class BreakerOpen extends Data.TaggedError("BreakerOpen")<{
  readonly dependency: string
  readonly retryInMs: number
}> {
  override get message() {
    return `${this.dependency} is failing; circuit open, next attempt in ${Math.ceil(this.retryInMs / 1000)} s`
  }
}

export type BreakerStatus = "closed" | "open" | "half_open"

export interface BreakerSnapshot {
  readonly dependency: string
  readonly state: BreakerStatus
  readonly consecutiveFailures: number
  /** For an open breaker: when it lets a probe through. */
  readonly retryInMs: number
}

export interface Breaker {
  readonly dependency: string
  readonly settings: Machine.BreakerSettings
  readonly snapshot: Effect.Effect<BreakerSnapshot>
  /** Closes the breaker: the connection was rebuilt on an operator's request, so the next call tries it at once. */
  readonly reset: Effect.Effect<void>
  /**
   * Runs `effect` if the breaker admits it, else fails with `onOpen`. A failure
   * counts against the dependency only when `isOutage` says the dependency did
   * not answer (a refusal it sent back is an answer); defects always count.
   */
  readonly guard: <A, E, R, E2>(
    effect: Effect.Effect<A, E, R>,
    options: { readonly onOpen: (open: BreakerOpen) => E2; readonly isOutage: (e: E) => boolean }
  ) => Effect.Effect<A, E | E2, R>
}

/** Five consecutive failures open a breaker; it probes again after 5 s. */
export const DEFAULT_SETTINGS: Machine.BreakerSettings = { failureThreshold: 5, coolDownMs: 5_000 }

const STATUS: Readonly<Record<Machine.BreakerState["_tag"], BreakerStatus>> = { Closed: "closed", Open: "open", HalfOpen: "half_open" }

/** Built without an Effect so SQL helpers, which are plain functions, can own one per pool. */
export const unsafeMake = (dependency: string, settings: Machine.BreakerSettings = DEFAULT_SETTINGS): Breaker => {
  const state = Ref.unsafeMake<Machine.BreakerState>(Machine.closed)

  // Logged on the transitions only: one line when the dependency goes away, one when it is back.
  const settle = (next: (s: Machine.BreakerState) => Machine.BreakerState) =>
    Effect.flatMap(Ref.modify(state, (s) => { const n = next(s); return [[s, n] as const, n] }), ([before, after]) =>
      before._tag === "Closed" && after._tag === "Open"
        ? Effect.logWarning(`${dependency} unavailable; circuit open`).pipe(
          Effect.annotateLogs({ dependency, failures: settings.failureThreshold, retry_in_ms: settings.coolDownMs })
        )
        : before._tag !== "Closed" && after._tag === "Closed"
        ? Effect.logInfo(`${dependency} is back; circuit closed`).pipe(Effect.annotateLogs({ dependency }))
        : Effect.void)

  const snapshot = Effect.gen(function*() {
    const s = yield* Ref.get(state)
    const now = yield* Clock.currentTimeMillis
    return {
      dependency,
      state: STATUS[s._tag],
      consecutiveFailures: s._tag === "Closed" ? s.failures : settings.failureThreshold,
      retryInMs: Machine.retryInMs(s, now, settings)
    } satisfies BreakerSnapshot
  })

  const guard = <A, E, R, E2>(
    effect: Effect.Effect<A, E, R>,
    options: { readonly onOpen: (open: BreakerOpen) => E2; readonly isOutage: (e: E) => boolean }
  ): Effect.Effect<A, E | E2, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const [admission, retryIn] = yield* Ref.modify(state, (s) => {
          const [a, n] = Machine.admit(s, now, settings)
          return [[a, Machine.retryInMs(n, now, settings)] as const, n]
        })
        if (admission === "reject") return yield* Effect.fail(options.onOpen(new BreakerOpen({ dependency, retryInMs: retryIn })))
        const exit = yield* Effect.exit(restore(effect))
        const at = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* settle(Machine.succeeded)
        } else if (Cause.isInterruptedOnly(exit.cause)) {
          yield* settle((s) => Machine.abandoned(s, admission))
        } else {
          const failure = Cause.failureOption(exit.cause)
          const outage = Option.isNone(failure) || options.isOutage(failure.value)
          yield* settle((s) => (outage ? Machine.failed(s, admission, at, settings) : Machine.succeeded(s)))
        }
        return yield* exit
      })
    )

  return { dependency, settings, snapshot, reset: Ref.set(state, Machine.closed), guard }
}

/**
 * Fails with `onTimeout` once `ms` of wall-clock time have passed. Wall-clock
 * like gRPC's deadlines: a socket does not follow a test's clock. The call is
 * interrupted in the background, so a stalled connection cannot hold the
 * caller while its clean-up waits for the same dead peer.
 */
export const wallClockDeadline = <E2>(ms: number, onTimeout: () => E2) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
  Effect.raceFirst(
    Effect.disconnect(effect),
    Effect.async<never, E2>((resume) => {
      const timer = setTimeout(() => resume(Effect.fail(onTimeout())), ms)
      return Effect.sync(() => clearTimeout(timer))
    })
  )

export const make = (dependency: string, settings?: Machine.BreakerSettings) => Effect.sync(() => unsafeMake(dependency, settings))

/**
 * Every breaker of one running app, by dependency name, so /ready and the
 * admin routes can show which are open. Adapters register theirs when built;
 * without this service (an adapter used on its own) the breaker still works,
 * it is just not listed.
 */
export class Breakers extends Context.Tag("relaygate/adapters/Breakers")<Breakers, {
  readonly register: (breaker: Breaker) => Effect.Effect<void>
  readonly all: Effect.Effect<ReadonlyArray<BreakerSnapshot>>
  /** The state of the breaker in front of `dependency`, if one is registered. */
  readonly status: (dependency: string) => Effect.Effect<Option.Option<BreakerStatus>>
}>() {}

export const registry = Effect.sync(() => {
  const breakers = new Map<string, Breaker>()
  return Breakers.of({
    register: (b) => Effect.sync(() => void breakers.set(b.dependency, b)),
    all: Effect.suspend(() => Effect.forEach(Array.from(breakers.values()), (b) => b.snapshot)),
    status: (dependency) =>
      Effect.suspend(() => {
        const b = breakers.get(dependency)
        return b === undefined ? Effect.succeedNone : Effect.map(b.snapshot, (s) => Option.some(s.state))
      })
  })
})

export const layer = Layer.effect(Breakers, registry)

/** Lists `breaker` in the app's registry, when there is one. */
export const register = (breaker: Breaker) =>
  Effect.flatMap(Effect.serviceOption(Breakers), Option.match({ onNone: () => Effect.void, onSome: (r) => r.register(breaker) }))

/** A breaker for `dependency`, listed in the app's registry. */
export const registered = (dependency: string, settings?: Machine.BreakerSettings) =>
  Effect.tap(make(dependency, settings), register)
