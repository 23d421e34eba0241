import { createRequire } from "node:module"
import { Clock, Effect, Layer, Option } from "effect"
import { Breakers } from "../adapters/resilience/breaker.js"
import { ArkServer } from "../ports/ark-server.js"
import { ArkdConnection, LndConnection, TapdConnection } from "../ports/daemon-connection.js"
import { EpochStore } from "../ports/epoch-store.js"
import { GatewaySigner } from "../ports/gateway-signer.js"
import { Lightning } from "../ports/lightning.js"
import { Metagraph } from "../ports/metagraph.js"
import { TaprootAssets } from "../ports/taproot-assets.js"
import { ArkConfig, EpochsConfig, ServerConfig } from "./config.js"
import { type Check, ReadinessChecks } from "./http/readiness.js"
import { GatewayIdentity } from "./http/system.handlers.js"
import { persistenceChecks, storeAdapter } from "./persistence.js"

const version: string = createRequire(import.meta.url)("../package.json").version

/** /ready's checks of the stores, the daemons and the metagraph, each with its circuit breaker's state. */
export const ReadinessLive = Layer.effect(
  ReadinessChecks,
  Effect.gen(function*() {
    const ark = yield* ArkServer
    const arkd = yield* ArkdConnection
    const lnd = yield* LndConnection
    const tapd = yield* TapdConnection
    const lightning = yield* Lightning
    const taprootAssets = yield* TaprootAssets
    const epochStore = yield* EpochStore
    const metagraph = yield* Metagraph
    const { metagraphFile } = yield* EpochsConfig
    const stores = yield* storeAdapter
    const breakers = yield* Effect.serviceOption(Breakers)
    // Readiness names MariaDB "database"; the other checks share their breaker's name.
    const breakerOf = (check: Check) =>
      Option.match(breakers, { onNone: () => check, onSome: (r) => ({ ...check, breaker: r.status(check.name === "database" ? "mariadb" : check.name) }) })
    const checks: ReadonlyArray<Check> = [
      ...(yield* persistenceChecks),
      { name: "session_store", adapter: stores, probe: Effect.void },
      { name: "arkd", adapter: arkd.adapter, probe: ark.getInfo().pipe(Effect.mapError((e) => ({ message: e.reason }))) },
      { name: "lnd", adapter: lnd.adapter, probe: lightning.getInfo().pipe(Effect.mapError((e) => ({ message: e.reason }))) },
      { name: "tapd", adapter: tapd.adapter, probe: taprootAssets.getInfo().pipe(Effect.mapError((e) => ({ message: e.reason }))) },
      { name: "epoch_store", adapter: stores, probe: epochStore.get("readiness").pipe(Effect.asVoid, Effect.mapError((e) => ({ message: e.message }))) },
      {
        name: "metagraph",
        adapter: Option.isSome(metagraphFile) ? "file" : "permissive",
        probe: metagraph.lookup("readiness").pipe(Effect.asVoid, Effect.mapError((e) => ({ message: e.reason })))
      }
    ]
    return checks.map(breakerOf)
  })
)

/** What GET / reports: version, mounted modules, the gateway's key and network, and when this process started. */
export const IdentityLive = Layer.effect(
  GatewayIdentity,
  Effect.gen(function*() {
    const server = yield* ServerConfig
    const ark = yield* ArkConfig
    const gateway = yield* GatewaySigner
    return {
      version,
      modules: Array.from(server.modules),
      gatewayPubkey: gateway.pubkey,
      network: ark.bitcoinNetwork,
      startedAt: yield* Clock.currentTimeMillis
    }
  })
)
