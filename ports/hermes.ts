import { Context, Data, type Effect } from "effect"
import type { ClearingExecutor } from "../core/clearing/model.js"

export interface HermesVersion {
  readonly name: string
  readonly version: string
}

export interface HermesChainState {
  readonly chain_id: string
}

/** The supervisor's state: chains it runs and its workers per kind. */
export interface HermesState {
  readonly chains: ReadonlyArray<string>
  readonly workers: Readonly<Record<string, number>>
}

export interface ClearPacketsRequest {
  readonly chain_id: string
  readonly port_id: string
  readonly channel_id: string
  readonly sequences: ReadonlyArray<number>
}

export interface ClearPacketsReport {
  /** `chain`: the whole chain was cleared (REST); `sequences`: exactly the given packets (CLI). */
  readonly scope: "chain" | "sequences"
  /** Relay tx hashes Hermes reported, when it reports any. */
  readonly tx_hashes: ReadonlyArray<string>
}

/** Hermes could not be reached, timed out, or is not configured. */
export class HermesUnavailable extends Data.TaggedError("HermesUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `Hermes unavailable: ${this.reason}`
  }
}

/** Hermes answered with an error for this request. */
export class HermesRejected extends Data.TaggedError("HermesRejected")<{
  readonly reason: string
}> {
  override get message() {
    return `Hermes refused: ${this.reason}`
  }
}

export type HermesError = HermesUnavailable | HermesRejected

/** The Hermes IBC relayer, through its REST API or its CLI. */
export class Hermes extends Context.Tag("relaygate/Hermes")<
  Hermes,
  {
    /** Which adapter this is; `null` when no relayer is configured. */
    readonly executor: ClearingExecutor | null
    readonly version: () => Effect.Effect<ReadonlyArray<HermesVersion>, HermesError>
    readonly state: () => Effect.Effect<HermesState, HermesError>
    readonly chains: () => Effect.Effect<ReadonlyArray<HermesChainState>, HermesError>
    /** Relays the packets (or, for the REST API, every pending packet of the chain). */
    readonly clearPackets: (request: ClearPacketsRequest) => Effect.Effect<ClearPacketsReport, HermesError>
  }
>() {}
