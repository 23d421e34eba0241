import { Context, type Effect, type Either, type Option } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type { SessionNotFound } from "../core/signing/errors.js"
import type { Session, SessionStatus } from "../core/signing/model.js"

export interface SessionFilter {
  readonly user_pubkey?: string | undefined
  readonly status?: SessionStatus | undefined
  readonly limit?: number | undefined
}

/**
 * Signing sessions (with their challenge and ceremony). `modify` is the one
 * write path after `insert`: it reads, applies a pure decision and writes back
 * as one atomic step (a row lock in SQL), so two concurrent responses can never
 * both use a challenge.
 */
export class SessionStore extends Context.Tag("relaygate/SessionStore")<
  SessionStore,
  {
    readonly insert: (session: Session) => Effect.Effect<void, StoreUnavailable>
    readonly get: (sessionId: string) => Effect.Effect<Option.Option<Session>, StoreUnavailable>
    /**
     * Atomically replace the session with the decision's new state. When the
     * decision fails nothing is written and its error is returned.
     */
    readonly modify: <A, E>(
      sessionId: string,
      decide: (current: Session) => Either.Either<readonly [Session, A], E>
    ) => Effect.Effect<A, E | SessionNotFound | StoreUnavailable>
    /** Newest first. */
    readonly list: (filter: SessionFilter) => Effect.Effect<ReadonlyArray<Session>, StoreUnavailable>
    /**
     * Sessions a sweep must look at: not terminal and either past `expires_at`
     * or in `signing` (whose ceremony may have timed out or been orphaned).
     */
    readonly listSweepable: (now: number) => Effect.Effect<ReadonlyArray<Session>, StoreUnavailable>
    readonly countByStatus: () => Effect.Effect<Readonly<Record<SessionStatus, number>>, StoreUnavailable>
  }
>() {}
