import { Context, type Effect, type Either, type Option } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type { ClearingNotFound, PaymentAlreadyUsed } from "../core/clearing/errors.js"
import type { ClearingRequest, ClearingStatus } from "../core/clearing/model.js"

export interface ClearingFilter {
  readonly user_id?: string | undefined
  readonly statuses?: ReadonlyArray<ClearingStatus> | undefined
  /** Requests that include this packet id. */
  readonly packet_id?: string | undefined
  readonly limit?: number | undefined
}

/**
 * Clearing requests. Writes are atomic decisions, as in SessionStore; in
 * addition the store guarantees that a payment tx hash belongs to at most one
 * request (a unique index in SQL): a write that would give a second request
 * the same `payment.tx_hash` fails with PaymentAlreadyUsed and writes nothing.
 */
export class ClearingStore extends Context.Tag("relaygate/ClearingStore")<
  ClearingStore,
  {
    /**
     * Inserts the request if `admit` accepts the user's requests created at or
     * after `windowStart` (read under the same lock, so a burst cannot exceed a quota).
     */
    readonly insert: <A, E>(
      request: ClearingRequest,
      windowStart: number,
      admit: (recent: ReadonlyArray<ClearingRequest>) => Either.Either<A, E>
    ) => Effect.Effect<A, E | StoreUnavailable>
    readonly get: (token: string) => Effect.Effect<Option.Option<ClearingRequest>, StoreUnavailable>
    readonly modify: <A, E>(
      token: string,
      decide: (current: ClearingRequest) => Either.Either<readonly [ClearingRequest, A], E>
    ) => Effect.Effect<A, E | ClearingNotFound | PaymentAlreadyUsed | StoreUnavailable>
    /** Newest first. */
    readonly list: (filter: ClearingFilter) => Effect.Effect<ReadonlyArray<ClearingRequest>, StoreUnavailable>
    readonly findByPaymentTx: (txHash: string) => Effect.Effect<Option.Option<ClearingRequest>, StoreUnavailable>
  }
>() {}
