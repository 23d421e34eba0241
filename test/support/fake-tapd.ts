/** tapd's taprpc.TaprootAssets served over gRPC by the simulated tapd (adapters/memory/taproot-assets.ts). */
import * as grpc from "@grpc/grpc-js"
import { Effect, type Scope } from "effect"
import { AssetBalance, AssetType, GetInfoResponse, ListBalancesResponse, TaprootAssetsService } from "../../adapters/grpc/gen/taprpc/taprootassets.js"
import { TaprootAssets, type TaprootAssetsUnavailable } from "../../ports/taproot-assets.js"
import { type FakeServer, type FakeServerOptions, serve, status } from "./fake-daemon.js"

const down = (e: TaprootAssetsUnavailable) => status(grpc.status.UNAVAILABLE, e.reason)

/** Serves the TaprootAssets and TaprootAssetsSimulator in context (the simulated tapd) on 127.0.0.1. */
export const fakeTapd = (options: FakeServerOptions = {}): Effect.Effect<FakeServer, never, TaprootAssets | Scope.Scope> =>
  Effect.gen(function*() {
    const tapd = yield* TaprootAssets
    return yield* serve((h) => [
      [TaprootAssetsService, {
        getInfo: h.unary(() =>
          Effect.map(Effect.mapError(tapd.getInfo(), down), (i) => GetInfoResponse.create({ version: i.version, network: i.network, syncToChain: true }))),
        listBalances: h.unary(() =>
          Effect.map(Effect.mapError(tapd.listBalances(), down), (bs) =>
            ListBalancesResponse.create({
              assetBalances: Object.fromEntries(bs.map((b) => [b.assetId, AssetBalance.create({
                assetGenesis: {
                  genesisPoint: b.genesisPoint,
                  name: b.name,
                  assetId: Buffer.from(b.assetId, "hex"),
                  assetType: b.assetType === "COLLECTIBLE" ? AssetType.COLLECTIBLE : AssetType.NORMAL
                },
                balance: b.balance
              })]))
            })))
      }]
    ], options)
  })
