import { Context, Data, type Effect } from "effect"

export interface TapdInfo {
  readonly version: string
  readonly network: string
}

/** taprpc ListBalances (grouped by asset id), the fields the gateway reads. */
export interface TapAssetBalance {
  /** 32-byte asset id, hex. */
  readonly assetId: string
  readonly name: string
  readonly assetType: "NORMAL" | "COLLECTIBLE"
  /** `txid:vout` of the genesis output. */
  readonly genesisPoint: string
  readonly balance: bigint
}

/** tapd could not be reached or timed out. */
export class TaprootAssetsUnavailable extends Data.TaggedError("TaprootAssetsUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/** The Taproot Assets daemon (tapd `taprpc` subset): what assets the gateway holds on chain. */
export class TaprootAssets extends Context.Tag("relaygate/TaprootAssets")<
  TaprootAssets,
  {
    readonly getInfo: () => Effect.Effect<TapdInfo, TaprootAssetsUnavailable>
    readonly listBalances: () => Effect.Effect<ReadonlyArray<TapAssetBalance>, TaprootAssetsUnavailable>
  }
>() {}
