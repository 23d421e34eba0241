/** TaprootAssets over tapd's gRPC API (taprpc.TaprootAssets). */
import { Context, Duration, Effect, Layer } from "effect"
import { DaemonUnreachable, TapdConnection } from "../../ports/daemon-connection.js"
import { type TapAssetBalance, TaprootAssets, TaprootAssetsUnavailable } from "../../ports/taproot-assets.js"
import { AssetType, ListBalancesRequest, TaprootAssetsService } from "./gen/taprpc/taprootassets.js"
import * as Transport from "./transport.js"

export interface TapdSettings {
  readonly host: string
  readonly port: number
  /** tapd's tls.cert; without one the system CAs must vouch for tapd's certificate. */
  readonly tlsCertPath: string | undefined
  /** The name tapd's certificate carries, when it does not name `host`. */
  readonly tlsServerName?: string | undefined
  readonly macaroonPath: string | undefined
  /** Deadline of each call; 15 s unless set. */
  readonly callTimeout?: Duration.DurationInput
}

// The port has no refusal: whatever tapd answers instead of data, the gateway cannot use it right now.
const toUnavailable = (e: Transport.GrpcCallFailed) => new TaprootAssetsUnavailable({ reason: e.message, cause: e })

export const make = (settings: TapdSettings) =>
  Effect.gen(function*() {
    const conn = yield* Transport.connect({
      daemon: "tapd",
      host: settings.host,
      port: settings.port,
      security: { _tag: "Tls", certPath: settings.tlsCertPath, serverName: settings.tlsServerName },
      macaroonPath: settings.macaroonPath,
      callTimeout: settings.callTimeout ?? Duration.seconds(15)
    })

    const tapd = TaprootAssets.of({
      getInfo: Effect.fn("TaprootAssets.getInfo")(function*() {
        const r = yield* conn.unary(TaprootAssetsService.getInfo, {}).pipe(Effect.mapError(toUnavailable))
        return { version: r.version, network: r.network }
      }),
      listBalances: Effect.fn("TaprootAssets.listBalances")(function*() {
        const r = yield* conn.unary(
          TaprootAssetsService.listBalances,
          ListBalancesRequest.create({ groupBy: { $case: "assetId", value: true } })
        ).pipe(Effect.mapError(toUnavailable))
        return Object.values(r.assetBalances).flatMap((b): ReadonlyArray<TapAssetBalance> => {
          const g = b.assetGenesis
          if (g === undefined || b.balance === 0n) return []
          return [{
            assetId: g.assetId.toString("hex"),
            name: g.name,
            assetType: g.assetType === AssetType.COLLECTIBLE ? "COLLECTIBLE" : "NORMAL",
            genesisPoint: g.genesisPoint,
            balance: b.balance
          }]
        })
      })
    })

    const connection = TapdConnection.of({
      daemon: "tapd",
      adapter: "grpc",
      target: conn.target,
      reconnect: () =>
        Effect.gen(function*() {
          yield* conn.reconnect
          yield* tapd.getInfo()
        }).pipe(Effect.mapError((e) => new DaemonUnreachable({ daemon: "tapd", reason: e.reason, cause: e })))
    })

    return { tapd, connection }
  })

/** Fails only when the TLS certificate or macaroon file cannot be read; tapd itself may be down. */
export const layer = (settings: TapdSettings): Layer.Layer<TaprootAssets | TapdConnection, Transport.GrpcSetupFailed> =>
  Layer.scopedContext(
    Effect.map(make(settings), ({ tapd, connection }) => Context.make(TaprootAssets, tapd).pipe(Context.add(TapdConnection, connection)))
  )
