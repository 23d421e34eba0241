import { Context, type Effect, type Either, type Option } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type { Epoch, MinerStatusRecord } from "../core/epochs/model.js"

export interface EpochListFilter {
  /** Exclusive lower bound on `start`. */
  readonly startAfter?: number | undefined
  /** Exclusive upper bound on `start`. */
  readonly startBefore?: number | undefined
  readonly limit?: number | undefined
}

/**
 * Epoch assignments and miner status per (hotkey, epoch). Both writes are
 * single atomic steps: `claim` is insert-if-absent (a unique key in SQL), so
 * however many first requests race, one assignment per epoch is stored and
 * every caller gets that one.
 */
export class EpochStore extends Context.Tag("relaygate/EpochStore")<
  EpochStore,
  {
    /** Store `epoch` unless its id exists; return the stored epoch and whether this call created it. */
    readonly claim: (epoch: Epoch) => Effect.Effect<{ readonly epoch: Epoch; readonly created: boolean }, StoreUnavailable>
    readonly get: (epochId: string) => Effect.Effect<Option.Option<Epoch>, StoreUnavailable>
    /** Newest first. */
    readonly list: (filter: EpochListFilter) => Effect.Effect<ReadonlyArray<Epoch>, StoreUnavailable>
    /**
     * Read the (hotkey, epoch) record, apply a pure decision and write its
     * result, as one atomic step. A failed decision writes nothing.
     */
    readonly updateMinerStatus: <E>(
      hotkey: string,
      epochId: string,
      decide: (current: Option.Option<MinerStatusRecord>) => Either.Either<MinerStatusRecord, E>
    ) => Effect.Effect<MinerStatusRecord, E | StoreUnavailable>
    /** Every miner's record for one epoch, by hotkey. */
    readonly minerStatuses: (epochId: string) => Effect.Effect<ReadonlyArray<MinerStatusRecord>, StoreUnavailable>
  }
>() {}
