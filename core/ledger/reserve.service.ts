import { Context, Effect, Layer } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { VtxoService } from "../vtxo/service.js"
import { Lightning, type LightningError } from "../../ports/lightning.js"
import { TaprootAssets, type TaprootAssetsUnavailable } from "../../ports/taproot-assets.js"
import type { AssetNotFound } from "./errors.js"
import { BTC } from "./model.js"
import { LedgerService } from "./service.js"

export interface ReserveRequirements {
  readonly asset_id: string
  /** What users hold: the circulating supply. */
  readonly liabilities: bigint
  /** Of which set aside for ceremonies and payments in progress. */
  readonly reserved: bigint
  /** Full reserve: every unit users hold must be backed. */
  readonly required_reserve: bigint
  readonly backing: {
    /** Gateway VTXOs of the asset not yet spent (available or assigned). */
    readonly inventory_sats: bigint
    /** tapd's balance of the asset (matched by name or asset id); BTC has none. */
    readonly taproot_assets: bigint
    /** Local Lightning channel balance; counted for BTC only. */
    readonly lightning_local_sats: bigint
  }
  readonly total_backing: bigint
  readonly shortfall: bigint
  readonly is_sufficient: boolean
}

/** Reserve requirements of an asset: the users' balances against what backs them. */
export class ReserveService extends Context.Tag("relaygate/ReserveService")<
  ReserveService,
  {
    readonly requirements: (
      assetId: string
    ) => Effect.Effect<ReserveRequirements, AssetNotFound | TaprootAssetsUnavailable | LightningError | StoreUnavailable>
  }
>() {}

export const make = Effect.gen(function*() {
  const ledger = yield* LedgerService
  const vtxos = yield* VtxoService
  const tapd = yield* TaprootAssets
  const ln = yield* Lightning

  return ReserveService.of({
    requirements: Effect.fn("ReserveService.requirements")(function*(assetId: string) {
      const asset = yield* ledger.getAsset(assetId)
      const stats = (yield* ledger.stats()).find((s) => s.asset.asset_id === assetId)
      const inventory = yield* vtxos.inventory(assetId)
      const isBtc = assetId === BTC.asset_id
      const taproot = isBtc
        ? 0n
        : (yield* tapd.listBalances()).filter((b) => b.name === assetId || b.assetId === assetId).reduce((n, b) => n + b.balance, 0n)
      const lightning = isBtc ? (yield* ln.channelBalance()).localSats : 0n
      const backing = { inventory_sats: inventory.available_sats + inventory.assigned_sats, taproot_assets: taproot, lightning_local_sats: lightning }
      const total = backing.inventory_sats + backing.taproot_assets + backing.lightning_local_sats
      const required = asset.circulating_supply
      return {
        asset_id: assetId,
        liabilities: asset.circulating_supply,
        reserved: stats?.reserved ?? 0n,
        required_reserve: required,
        backing,
        total_backing: total,
        shortfall: required > total ? required - total : 0n,
        is_sufficient: total >= required
      }
    })
  })
})

export const layer = Layer.effect(ReserveService, make)
