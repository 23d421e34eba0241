/**
 * Which arkd, lnd and tapd the app talks to: the gRPC adapter when
 * ARKD_HOST / LND_HOST / TAPD_HOST is set, the simulated daemon otherwise.
 * Either way a daemon's layer carries its port, its DaemonConnection (for
 * /ready and the /grpc routes) and the simulator's controls; with a real
 * daemon those controls refuse, as there is nothing to simulate.
 */
import { Context, Effect, Layer, Option } from "effect"
import * as GrpcArkd from "../adapters/grpc/ark-server.js"
import * as GrpcLnd from "../adapters/grpc/lightning.js"
import * as GrpcTapd from "../adapters/grpc/taproot-assets.js"
import type { GrpcSetupFailed } from "../adapters/grpc/transport.js"
import * as SimulatedArkd from "../adapters/memory/ark-server.js"
import * as SimulatedDaemon from "../adapters/memory/daemon-connection.js"
import * as SimulatedLnd from "../adapters/memory/lightning.js"
import * as SimulatedTapd from "../adapters/memory/taproot-assets.js"
import { ArkServer } from "../ports/ark-server.js"
import { ArkdConnection, LndConnection, TapdConnection } from "../ports/daemon-connection.js"
import { Lightning } from "../ports/lightning.js"
import { TaprootAssets } from "../ports/taproot-assets.js"
import { instrumentDaemon } from "./ops/metrics.js"
import { ArkConfig, type DaemonConfig, DaemonsConfig } from "./config.js"

/** An unreadable certificate or macaroon stops start-up with one line naming the variable. */
const setupError = (prefix: "ARKD" | "LND" | "TAPD") => (e: GrpcSetupFailed) =>
  new Error(`${prefix}_${e.file === "tls_cert" ? "TLS_CERT" : "MACAROON"}: ${e.reason}`)

const settings = (host: string, c: DaemonConfig) => ({
  host,
  port: c.port,
  tlsCertPath: Option.getOrUndefined(c.tlsCert),
  tlsServerName: Option.getOrUndefined(c.tlsServerName),
  macaroonPath: Option.getOrUndefined(c.macaroon)
})

const noControls = (variable: string) =>
  Effect.dieMessage(`${variable} is set: the daemon is real, so the simulator's controls do not exist`)

/** arkd: ArkServer, its connection and the simulator's controls (refusing when ARKD_HOST is set). */
export const arkd = (config: DaemonConfig, network: string): Layer.Layer<ArkServer | SimulatedArkd.ArkServerSimulator | ArkdConnection, Error> =>
  Option.match(config.host, {
    onNone: () => Layer.merge(SimulatedArkd.layer({ network }), Layer.succeed(ArkdConnection, SimulatedDaemon.simulated("arkd"))),
    onSome: (host) =>
      Layer.scopedContext(Effect.map(GrpcArkd.make(settings(host, config)), ({ arkServer, connection }) =>
        Context.make(ArkServer, arkServer).pipe(
          Context.add(ArkdConnection, connection),
          Context.add(SimulatedArkd.ArkServerSimulator, {
            fund: () => noControls("ARKD_HOST"),
            setBehaviour: () => noControls("ARKD_HOST"),
            vtxos: () => noControls("ARKD_HOST")
          })
        ))).pipe(Layer.mapError(setupError("ARKD")))
  })

/** lnd: Lightning, its connection and the simulator's controls (refusing when LND_HOST is set). */
export const LndLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { lnd } = yield* DaemonsConfig
    const { bitcoinNetwork } = yield* ArkConfig
    return Option.match(lnd.host, {
      onNone: (): Layer.Layer<Lightning | SimulatedLnd.LightningSimulator | LndConnection, Error> =>
        Layer.merge(SimulatedLnd.layer({ network: bitcoinNetwork }), Layer.succeed(LndConnection, SimulatedDaemon.simulated("lnd"))),
      onSome: (host) =>
        Layer.scopedContext(Effect.map(GrpcLnd.make(settings(host, lnd)), ({ connection, lightning }) =>
          Context.make(Lightning, lightning).pipe(
            Context.add(LndConnection, connection),
            Context.add(SimulatedLnd.LightningSimulator, {
              payInvoice: () => noControls("LND_HOST"),
              replaySettlement: () => noControls("LND_HOST"),
              setPaymentBehaviour: () => noControls("LND_HOST"),
              resolvePayment: () => noControls("LND_HOST"),
              setAvailable: () => noControls("LND_HOST"),
              payments: () => noControls("LND_HOST")
            })
          ))).pipe(Layer.mapError(setupError("LND")))
    })
  })
)

/** tapd: TaprootAssets, its connection and the simulator's controls (refusing when TAPD_HOST is set). */
export const TapdLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { tapd } = yield* DaemonsConfig
    const { bitcoinNetwork } = yield* ArkConfig
    return Option.match(tapd.host, {
      onNone: (): Layer.Layer<TaprootAssets | SimulatedTapd.TaprootAssetsSimulator | TapdConnection, Error> =>
        Layer.merge(SimulatedTapd.layer({ network: bitcoinNetwork }), Layer.succeed(TapdConnection, SimulatedDaemon.simulated("tapd"))),
      onSome: (host) =>
        Layer.scopedContext(Effect.map(GrpcTapd.make(settings(host, tapd)), ({ connection, tapd: taprootAssets }) =>
          Context.make(TaprootAssets, taprootAssets).pipe(
            Context.add(TapdConnection, connection),
            Context.add(SimulatedTapd.TaprootAssetsSimulator, {
              mint: () => noControls("TAPD_HOST"),
              setAvailable: () => noControls("TAPD_HOST")
            })
          ))).pipe(Layer.mapError(setupError("TAPD")))
    })
  })
)

/** lnd and tapd of the money paths, each call timed and failures counted; arkd is chosen beneath the signing module (apps/ark-signing.ts). */
export const DaemonsLive = Layer.mergeAll(instrumentDaemon(Lightning, "lnd")(LndLive), instrumentDaemon(TaprootAssets, "tapd")(TapdLive))
