import { Context, Data, type Effect } from "effect"

export class ReplayGuardUnavailable extends Data.TaggedError("ReplayGuardUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/**
 * Single use of anything keyed (a signature, a nonce), shared by every module.
 * `claim` is atomic: true for the first caller within `ttlMs`, false for every
 * later one until the entry expires.
 */
export class ReplayGuard extends Context.Tag("relaygate/ReplayGuard")<
  ReplayGuard,
  {
    readonly claim: (key: string, ttlMs: number) => Effect.Effect<boolean, ReplayGuardUnavailable>
  }
>() {}
