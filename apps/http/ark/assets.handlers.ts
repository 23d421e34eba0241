import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ReserveService } from "../../../core/ledger/reserve.service.js"
import { LedgerService } from "../../../core/ledger/service.js"
import { VtxoService } from "../../../core/vtxo/service.js"
import { RelaygateApi } from "../api.js"
import { ArkServiceUnavailable } from "./errors.js"
import { assetView, balanceView } from "./money-views.js"
import { storeOutage } from "./unavailable.js"

export const AssetsLive = HttpApiBuilder.group(RelaygateApi, "assets", (handlers) =>
  Effect.gen(function*() {
    const ledger = yield* LedgerService
    const vtxos = yield* VtxoService
    const reserves = yield* ReserveService

    return handlers
      .handle("create", ({ payload }) =>
        ledger.createAsset({
          asset_id: payload.asset_id,
          name: payload.name,
          ticker: payload.ticker,
          asset_type: payload.type ?? payload.asset_type,
          decimal_places: payload.decimal_places,
          total_supply: payload.total_supply === undefined ? undefined : BigInt(payload.total_supply),
          is_active: payload.is_active
        }).pipe(Effect.map(assetView), storeOutage))
      .handle("list", ({ urlParams }) =>
        ledger.listAssets({ activeOnly: urlParams.active_only ?? true }).pipe(
          Effect.map((assets) => ({ assets: assets.map(assetView), count: assets.length })),
          storeOutage
        ))
      .handle("stats", () =>
        Effect.gen(function*() {
          const stats = yield* ledger.stats()
          const counts = yield* vtxos.counts()
          return {
            total_assets: stats.length,
            active_assets: stats.filter((s) => s.asset.is_active).length,
            total_holders: stats.reduce((k, s) => k + s.holders, 0),
            ledger_balanced: stats.every((s) => s.audit.balanced),
            assets: stats.map((s) => ({
              asset_id: s.asset.asset_id,
              circulating_supply: Number(s.asset.circulating_supply),
              reserved: Number(s.reserved),
              holders: s.holders,
              balanced: s.audit.balanced,
              vtxos: Object.fromEntries(counts.filter((c) => c.asset_id === s.asset.asset_id).map((c) => [c.status, c.count]))
            }))
          }
        }).pipe(storeOutage))
      .handle("cleanupVtxos", () =>
        vtxos.cleanup().pipe(
          Effect.map((expired) => ({ expired_count: expired.length, vtxo_ids: expired.map((v) => v.vtxo_id) })),
          storeOutage
        ))
      .handle("transfer", ({ payload }) =>
        Effect.gen(function*() {
          const moved = yield* ledger.transfer({
            asset_id: payload.asset_id,
            sender_pubkey: payload.sender_pubkey,
            recipient_pubkey: payload.recipient_pubkey,
            amount: BigInt(payload.amount)
          })
          return {
            success: true as const,
            entry_id: moved.entry.entry_id,
            asset_id: payload.asset_id,
            amount: payload.amount,
            sender_pubkey: payload.sender_pubkey,
            recipient_pubkey: payload.recipient_pubkey,
            sender_balance: balanceView(yield* ledger.balance(payload.sender_pubkey, payload.asset_id)),
            recipient_balance: balanceView(yield* ledger.balance(payload.recipient_pubkey, payload.asset_id))
          }
        }).pipe(storeOutage))
      .handle("get", ({ path }) => ledger.getAsset(path.asset_id).pipe(Effect.map(assetView), storeOutage))
      .handle("mint", ({ path, payload }) =>
        Effect.gen(function*() {
          const moved = yield* ledger.mint({ asset_id: path.asset_id, user_pubkey: payload.user_pubkey, amount: BigInt(payload.amount) })
          return {
            success: true as const,
            entry_id: moved.entry.entry_id,
            asset_id: path.asset_id,
            amount: payload.amount,
            user_pubkey: payload.user_pubkey,
            balance: balanceView(yield* ledger.balance(payload.user_pubkey, path.asset_id)),
            asset: assetView(yield* ledger.getAsset(path.asset_id))
          }
        }).pipe(storeOutage))
      .handle("reserve", ({ path }) =>
        reserves.requirements(path.asset_id).pipe(
          Effect.map((r) => ({
            asset_id: r.asset_id,
            liabilities: Number(r.liabilities),
            reserved: Number(r.reserved),
            required_reserve: Number(r.required_reserve),
            reserve_ratio: r.liabilities === 0n ? null : Number(r.total_backing) / Number(r.liabilities),
            backing: {
              inventory_sats: Number(r.backing.inventory_sats),
              taproot_assets: Number(r.backing.taproot_assets),
              lightning_local_sats: Number(r.backing.lightning_local_sats)
            },
            total_backing: Number(r.total_backing),
            shortfall: Number(r.shortfall),
            is_sufficient: r.is_sufficient
          })),
          Effect.catchTags({
            TaprootAssetsUnavailable: (e) => Effect.fail(new ArkServiceUnavailable({ dependency: "tapd", reason: e.reason })),
            LightningUnavailable: (e) => Effect.fail(new ArkServiceUnavailable({ dependency: "lnd", reason: e.reason })),
            LightningRejected: (e) => Effect.fail(new ArkServiceUnavailable({ dependency: "lnd", reason: e.reason }))
          }),
          storeOutage
        ))
      .handle("balances", ({ path }) =>
        ledger.balances(path.user_pubkey).pipe(
          Effect.map((list) => ({ user_pubkey: path.user_pubkey, balances: list.map(balanceView), count: list.length })),
          storeOutage
        ))
      .handle("balance", ({ path }) => ledger.balance(path.user_pubkey, path.asset_id).pipe(Effect.map(balanceView), storeOutage))
  }))
