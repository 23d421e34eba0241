import { Context, Data, type Effect } from "effect"

export interface ArkInfo {
  /** arkd's x-only signer key, hex: co-signs the collaborative leaves. */
  readonly signerPubkey: string
  readonly network: string
  readonly version: string
  /** Smallest output arkd accepts, sats. */
  readonly dust: bigint
  /** Relative locktime of the unilateral exit leaf, as arkd reports it: blocks below 512, seconds (a multiple of 512) from 512 on. */
  readonly unilateralExitDelay: bigint
}

export interface ArkVtxo {
  readonly txid: string
  readonly vout: number
  readonly amount: bigint
  /** Output script, hex. */
  readonly script: string
  /** x-only owner key, hex. */
  readonly pubkey: string
  readonly spent: boolean
}

export interface Outpoint {
  readonly txid: string
  readonly vout: number
}

export interface BoardResult {
  /** The commitment tx of the batch round that created the VTXOs. */
  readonly commitmentTxid: string
  /** In the order of the requested amounts. */
  readonly vtxos: ReadonlyArray<ArkVtxo>
}

export interface SettleResult {
  /** This round's commitment tx; null when every outpoint was already settled by an earlier round. */
  readonly commitmentTxid: string | null
  /** Every requested outpoint (once) with the commitment tx that anchors it, this round's or an earlier one. */
  readonly anchored: ReadonlyArray<Outpoint & { readonly commitmentTxid: string }>
}

export interface SubmitTxResult {
  readonly arkTxid: string
  /** The ark transaction with arkd's signatures added, base64 PSBT. */
  readonly finalArkTx: string
  /** The checkpoint PSBTs as arkd co-signed them, base64. */
  readonly signedCheckpointTxs: ReadonlyArray<string>
}

/** arkd could not be reached, timed out, or answered with a transport error. */
export class ArkServerUnavailable extends Data.TaggedError("ArkServerUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/** arkd refused the request (bad signature, spent input, unknown tx...). Retrying the same request cannot succeed. */
export class ArkTxRejected extends Data.TaggedError("ArkTxRejected")<{
  readonly reason: string
}> {}

export type ArkServerError = ArkServerUnavailable | ArkTxRejected

/**
 * The Ark server (arkd `ark.v1` ArkService + IndexerService subset). Submit and
 * finalize are idempotent for the same transaction, so a ceremony resumed
 * after a restart may repeat them safely.
 */
export class ArkServer extends Context.Tag("relaygate/ArkServer")<
  ArkServer,
  {
    readonly getInfo: () => Effect.Effect<ArkInfo, ArkServerError>
    /** Unspent VTXOs owned by the x-only key. */
    readonly listVtxos: (pubkey: string) => Effect.Effect<ReadonlyArray<ArkVtxo>, ArkServerError>
    /** SubmitTx: verify the client's signatures on ark tx + checkpoints, co-sign, return the ark txid. */
    readonly submitTx: (input: {
      readonly signedArkTx: string
      readonly checkpointTxs: ReadonlyArray<string>
    }) => Effect.Effect<SubmitTxResult, ArkServerError>
    /** FinalizeTx: the client's fully signed checkpoints; spends the inputs and creates the outputs. */
    readonly finalizeTx: (input: {
      readonly arkTxid: string
      readonly finalCheckpointTxs: ReadonlyArray<string>
    }) => Effect.Effect<void, ArkServerError>
    /**
     * Boarding in a batch round (RegisterIntent with on-chain inputs → batch →
     * commitment tx): the owner's on-chain funds become new VTXOs of the given
     * amounts, each at least dust. How the gateway fills its inventory.
     */
    readonly boardVtxos: (input: {
      readonly ownerPubkey: string
      readonly amounts: ReadonlyArray<bigint>
    }) => Effect.Effect<BoardResult, ArkServerError>
    /**
     * Settlement in a batch round: arkd anchors the off-chain history of the
     * given VTXOs in one commitment tx on chain. An outpoint settled before is
     * not anchored again (its earlier commitment is reported); an unknown
     * outpoint is rejected and nothing is settled.
     */
    readonly settleBatch: (input: { readonly vtxos: ReadonlyArray<Outpoint> }) => Effect.Effect<SettleResult, ArkServerError>
  }
>() {}
