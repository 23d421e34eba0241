/**
 * The circuit breaker in front of one dependency, as pure decisions. After
 * `failureThreshold` consecutive failures it opens: calls are refused at once
 * instead of each waiting for its own timeout. After `coolDownMs` a single
 * probe call is let through (half-open); its success closes the breaker, its
 * failure opens it for another cool-down. Instants are epoch milliseconds.
 */

export interface BreakerSettings {
  /** Consecutive failures that open the breaker (≥ 1). */
  readonly failureThreshold: number
  /** How long an open breaker refuses calls before it lets one probe through. */
  readonly coolDownMs: number
}

export type BreakerState =
  | { readonly _tag: "Closed"; readonly failures: number }
  | { readonly _tag: "Open"; readonly openedAt: number }
  /** One probe is out; `openedAt` is kept so an abandoned probe returns to the same open state. */
  | { readonly _tag: "HalfOpen"; readonly openedAt: number }

/** `call`: go ahead; `probe`: go ahead as the one trial call of a half-open breaker; `reject`: do not call. */
export type Admission = "call" | "probe" | "reject"

export const closed: BreakerState = { _tag: "Closed", failures: 0 }

export const admit = (state: BreakerState, now: number, settings: BreakerSettings): readonly [Admission, BreakerState] => {
  switch (state._tag) {
    case "Closed":
      return ["call", state]
    case "Open":
      return now - state.openedAt >= settings.coolDownMs ? ["probe", { _tag: "HalfOpen", openedAt: state.openedAt }] : ["reject", state]
    case "HalfOpen":
      return ["reject", state]
  }
}

/** Any answer proves the dependency is back, whether it came from the probe or from a call admitted before the breaker opened. */
export const succeeded = (_state: BreakerState): BreakerState => closed

export const failed = (state: BreakerState, admission: Admission, now: number, settings: BreakerSettings): BreakerState => {
  switch (state._tag) {
    case "Closed":
      return state.failures + 1 >= settings.failureThreshold ? { _tag: "Open", openedAt: now } : { _tag: "Closed", failures: state.failures + 1 }
    case "HalfOpen":
      // Only the probe's failure restarts the cool-down; a straggler admitted before the breaker opened says nothing new.
      return admission === "probe" ? { _tag: "Open", openedAt: now } : state
    case "Open":
      return state
  }
}

/** The probe was interrupted before it had an answer: nothing was learned, so the next caller may probe. */
export const abandoned = (state: BreakerState, admission: Admission): BreakerState =>
  admission === "probe" && state._tag === "HalfOpen" ? { _tag: "Open", openedAt: state.openedAt } : state

/** Milliseconds until an open breaker lets a probe through (0 when it would admit now). */
export const retryInMs = (state: BreakerState, now: number, settings: BreakerSettings): number =>
  state._tag === "Open" ? Math.max(0, state.openedAt + settings.coolDownMs - now) : 0
