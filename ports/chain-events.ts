import { Context, Data, type Effect, type Scope, type Stream } from "effect"
import type { ChainHead, ChainTx } from "../core/clearing/model.js"

/** A committed tx, or a fresh chain head (heartbeat) so heights advance without traffic. */
export type ChainEvent =
  | { readonly _tag: "Tx"; readonly tx: ChainTx }
  | { readonly _tag: "Head"; readonly head: ChainHead }

export interface ChainSubscription {
  /** The chain's head once the subscription was active: every tx above it arrives on `events`. */
  readonly head: ChainHead
  /** Live txs in commit order. Fails when the connection is lost; nothing is retried inside. */
  readonly events: Stream.Stream<ChainEvent, ChainEventsUnavailable>
}

export class ChainEventsUnavailable extends Data.TaggedError("ChainEventsUnavailable")<{
  readonly chain_id: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `chain events for ${this.chain_id} unavailable: ${this.reason}`
  }
}

/**
 * Transactions of watched chains (CometBFT RPC). A subscription lives as long
 * as its connection; the caller reconnects and uses `backfill` to fetch what
 * was committed in between, so a subscription plus a backfill up to its head
 * covers every height.
 */
export class ChainEvents extends Context.Tag("relaygate/ChainEvents")<
  ChainEvents,
  {
    readonly chains: ReadonlyArray<string>
    readonly subscribe: (chainId: string) => Effect.Effect<ChainSubscription, ChainEventsUnavailable, Scope.Scope>
    /** Txs carrying packet events at heights in [from, to], ascending by height and position in block. */
    readonly backfill: (chainId: string, from: number, to: number) => Stream.Stream<ChainTx, ChainEventsUnavailable>
  }
>() {}
