import { Context, type Effect, type Option } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type {
  ChainHead,
  ChannelLink,
  Packet,
  PacketKey,
  PacketRoute,
  PacketSlice,
  SliceWrite
} from "../core/clearing/model.js"

export interface PacketQuery {
  readonly chain_id?: string | undefined
  readonly src_channel?: string | undefined
  /** Sender or receiver address of the ICS-20 data, per `role`. */
  readonly address?: string | undefined
  readonly role?: "sender" | "receiver" | "any" | undefined
  /** true: no recv/ack seen; false: recv or ack seen. */
  readonly undelivered?: boolean | undefined
  readonly data_hash?: string | undefined
  /** send_packet block time bounds, epoch ms, inclusive. */
  readonly sent_after?: number | undefined
  readonly sent_before?: number | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

/**
 * IBC packets as observed on chain, with per-chain ingest progress. The one
 * write path for packets is `observe`: it loads everything stored under a
 * route, lets a pure decision compute the new slice and writes it back as one
 * atomic step (a transaction with row locks in SQL), so two chains' events for
 * the same packet can never overwrite each other.
 */
export class PacketStore extends Context.Tag("relaygate/PacketStore")<
  PacketStore,
  {
    readonly observe: <A>(
      route: PacketRoute,
      decide: (slice: PacketSlice) => readonly [SliceWrite, A]
    ) => Effect.Effect<A, StoreUnavailable>
    /**
     * `observe` for each item in turn, in one call: each item's read, decision
     * and write are one atomic step, and a later item sees what earlier ones
     * wrote. Ingestion hands over every event of a chunk of txs at once, so a
     * store that can (memory) does the whole chunk without an effect per event.
     */
    readonly observeEach: <I, A>(
      items: ReadonlyArray<I>,
      route: (item: I) => PacketRoute,
      decide: (slice: PacketSlice, item: I) => readonly [SliceWrite, A]
    ) => Effect.Effect<ReadonlyArray<A>, StoreUnavailable>
    readonly get: (key: PacketKey) => Effect.Effect<Option.Option<Packet>, StoreUnavailable>
    /** Newest send first. */
    readonly list: (query: PacketQuery) => Effect.Effect<ReadonlyArray<Packet>, StoreUnavailable>
    /** Data hashes shared by two or more packets, with their counts. */
    readonly duplicateHashes: () => Effect.Effect<
      ReadonlyArray<{ readonly data_hash: string; readonly count: number }>,
      StoreUnavailable
    >
    readonly links: () => Effect.Effect<ReadonlyArray<ChannelLink>, StoreUnavailable>
    /** Every height up to and including the cursor has been fully ingested for the chain. */
    readonly cursor: (chainId: string) => Effect.Effect<Option.Option<number>, StoreUnavailable>
    /** Moves the cursor and the chain head forward; never backwards. */
    readonly advance: (
      chainId: string,
      progress: { readonly cursor?: number | undefined; readonly head?: ChainHead | undefined }
    ) => Effect.Effect<void, StoreUnavailable>
    readonly heads: () => Effect.Effect<ReadonlyArray<ChainHead>, StoreUnavailable>
    /** Drops parked relay events observed before `before` (epoch ms) whose packet never appeared. */
    readonly pruneParked: (before: number) => Effect.Effect<number, StoreUnavailable>
  }
>() {}
