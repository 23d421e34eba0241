import { Context, type Effect, type Either, type Option } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type { TransactionExists, TransactionNotFound } from "../core/transactions/errors.js"
import type { Transaction, TransactionStatus } from "../core/transactions/model.js"

export interface TransactionFilter {
  /** Transactions the user sent or received. */
  readonly user_pubkey?: string | undefined
  readonly status?: TransactionStatus | undefined
  readonly limit?: number | undefined
}

/** Ark transactions by txid, one per signing session; `modify` is an atomic read-decide-write. */
export class TransactionStore extends Context.Tag("relaygate/TransactionStore")<
  TransactionStore,
  {
    /** Fails when the txid, or another transaction of the same session, exists. */
    readonly insert: (tx: Transaction) => Effect.Effect<void, TransactionExists | StoreUnavailable>
    readonly get: (txid: string) => Effect.Effect<Option.Option<Transaction>, StoreUnavailable>
    readonly findBySession: (sessionId: string) => Effect.Effect<Option.Option<Transaction>, StoreUnavailable>
    readonly modify: <A, E>(
      txid: string,
      decide: (current: Transaction) => Either.Either<readonly [Transaction, A], E>
    ) => Effect.Effect<A, E | TransactionNotFound | StoreUnavailable>
    /** Newest first. */
    readonly list: (filter: TransactionFilter) => Effect.Effect<ReadonlyArray<Transaction>, StoreUnavailable>
  }
>() {}
