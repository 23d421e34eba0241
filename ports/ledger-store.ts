import { Context, type Effect, type Either, type Option } from "effect"
import type { AssetAlreadyExists, AssetNotFound } from "../core/ledger/errors.js"
import type { LedgerSnapshot, LedgerWrite } from "../core/ledger/machine.js"
import type { AccountKey, Asset, Hold, HoldStatus, JournalEntry } from "../core/ledger/model.js"
import type { StoreUnavailable } from "../core/shared/errors.js"

export interface CommitRequest {
  /** Idempotency key: an entry id already in the journal is answered from the journal, never applied twice. */
  readonly entry_id: string
  readonly asset_id: string
  /** Every account the decision may read or post to; a SQL store locks these rows. */
  readonly accounts: ReadonlyArray<AccountKey>
  readonly hold_id?: string | undefined
}

export interface Committed {
  readonly entry: JournalEntry
  /** True when the entry id was already in the journal and nothing was applied now. */
  readonly replayed: boolean
  readonly hold: Option.Option<Hold>
}

export interface HoldFilter {
  readonly status?: HoldStatus | undefined
  readonly owner?: string | undefined
  readonly purpose?: string | undefined
}

export interface JournalFilter {
  readonly asset_id?: string | undefined
  /** Entries with a posting to any account of this user. */
  readonly user_pubkey?: string | undefined
  readonly limit?: number | undefined
}

export interface AccountBalance {
  readonly asset_id: string
  readonly account: AccountKey
  readonly balance: bigint
}

/**
 * Assets, account balances, holds and the double-entry journal. `commit` is
 * the only write path for money: one atomic step that reads the asset, the
 * named accounts and hold, runs the pure decision, and writes the entry, the
 * new balances, the asset and the hold together — or nothing. In SQL that is
 * one transaction with `SELECT … FOR UPDATE` on those rows and a unique key on
 * the entry id.
 */
export class LedgerStore extends Context.Tag("relaygate/LedgerStore")<
  LedgerStore,
  {
    readonly insertAsset: (asset: Asset) => Effect.Effect<void, AssetAlreadyExists | StoreUnavailable>
    readonly getAsset: (assetId: string) => Effect.Effect<Option.Option<Asset>, StoreUnavailable>
    /** Oldest first. */
    readonly listAssets: () => Effect.Effect<ReadonlyArray<Asset>, StoreUnavailable>
    readonly commit: <E>(
      request: CommitRequest,
      decide: (snapshot: LedgerSnapshot) => Either.Either<LedgerWrite, E>
    ) => Effect.Effect<Committed, E | AssetNotFound | StoreUnavailable>
    readonly getHold: (holdId: string) => Effect.Effect<Option.Option<Hold>, StoreUnavailable>
    /** Oldest first. */
    readonly listHolds: (filter: HoldFilter) => Effect.Effect<ReadonlyArray<Hold>, StoreUnavailable>
    /** Every non-zero account of one user, or of one asset. */
    readonly balances: (
      filter: { readonly user_pubkey: string } | { readonly asset_id: string }
    ) => Effect.Effect<ReadonlyArray<AccountBalance>, StoreUnavailable>
    /** Newest first. */
    readonly journal: (filter: JournalFilter) => Effect.Effect<ReadonlyArray<JournalEntry>, StoreUnavailable>
  }
>() {}
