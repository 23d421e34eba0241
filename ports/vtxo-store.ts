import { Context, type Effect, type Either, type Option } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type { VtxoNotFound } from "../core/vtxo/errors.js"
import type { Settlement, StatusCount, Vtxo, VtxoBatch, VtxoStatus } from "../core/vtxo/model.js"

export interface VtxoFilter {
  readonly user_pubkey?: string | undefined
  readonly asset_id?: string | undefined
  readonly status?: VtxoStatus | undefined
  readonly assignment_ref?: string | undefined
  /** Spent and not yet anchored by a settlement. */
  readonly unsettled?: boolean | undefined
  readonly limit?: number | undefined
}

export interface AssignRequest {
  readonly asset_id: string
  readonly amount: bigint
  readonly user_pubkey: string
  readonly ref: string | null
  readonly now: number
}

/**
 * The VTXO inventory. `assignSmallestAtLeast` is one atomic step, never
 * read-then-write: of any number of concurrent requests each VTXO goes to at
 * most one (in SQL, `SELECT … FOR UPDATE SKIP LOCKED` ordered by amount).
 */
export class VtxoStore extends Context.Tag("relaygate/VtxoStore")<
  VtxoStore,
  {
    /** The batch and its VTXOs, together. */
    readonly insertBatch: (batch: VtxoBatch, vtxos: ReadonlyArray<Vtxo>) => Effect.Effect<void, StoreUnavailable>
    readonly get: (vtxoId: string) => Effect.Effect<Option.Option<Vtxo>, StoreUnavailable>
    /** Atomically assigns the smallest available, unexpired VTXO of the asset holding at least `amount`. */
    readonly assignSmallestAtLeast: (request: AssignRequest) => Effect.Effect<Option.Option<Vtxo>, StoreUnavailable>
    /** Read, decide, write as one atomic step; a failed decision writes nothing. */
    readonly modify: <A, E>(
      vtxoId: string,
      decide: (current: Vtxo) => Either.Either<readonly [Vtxo, A], E>
    ) => Effect.Effect<A, E | VtxoNotFound | StoreUnavailable>
    /** Newest first. */
    readonly list: (filter: VtxoFilter) => Effect.Effect<ReadonlyArray<Vtxo>, StoreUnavailable>
    /** Count and sats per (asset, status). */
    readonly countByStatus: () => Effect.Effect<ReadonlyArray<StatusCount>, StoreUnavailable>
    /** Atomically marks every available or assigned VTXO with `expires_at <= now` expired; returns them. */
    readonly expireDue: (now: number) => Effect.Effect<ReadonlyArray<Vtxo>, StoreUnavailable>
    /** Newest first. */
    readonly listBatches: (filter: { readonly asset_id?: string | undefined; readonly limit?: number | undefined }) => Effect.Effect<
      ReadonlyArray<VtxoBatch>,
      StoreUnavailable
    >
    /**
     * Stamps the settlement's id on those of its VTXOs that are still spent
     * and unsettled and records the settlement with just those (and their
     * total), atomically; returns the ids it stamped. A settlement that stamps nothing (another runner got there
     * first) is not recorded.
     */
    readonly recordSettlement: (settlement: Settlement) => Effect.Effect<ReadonlyArray<string>, StoreUnavailable>
    /** Newest first. */
    readonly listSettlements: (limit: number) => Effect.Effect<ReadonlyArray<Settlement>, StoreUnavailable>
  }
>() {}
