import { createRequire } from "node:module"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { bytesToHex } from "../core/shared/hex.js"
import * as CeremonyService from "../core/signing/ceremony.service.js"
import * as SessionService from "../core/signing/service.js"
import * as GatewayKey from "../adapters/crypto/gateway-signer.js"
import * as SchnorrLibsecp from "../adapters/crypto/schnorr-libsecp.js"
import * as SimulatedArkd from "../adapters/memory/ark-server.js"
import * as MemorySessions from "../adapters/memory/session-store.js"
import { ArkServer } from "../ports/ark-server.js"
import { GatewaySigner } from "../ports/gateway-signer.js"
import { ArkConfig, ServerConfig } from "./config.js"
import { ReadinessChecks } from "./http/readiness.js"
import { GatewayIdentity } from "./http/system.handlers.js"

const version: string = createRequire(import.meta.url)("../package.json").version

/** GATEWAY_PRIVATE_KEY, or a fresh key for this process (its pubkey is logged, since challenges bind it). */
export const GatewaySignerLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { gatewayPrivateKey } = yield* ArkConfig
    if (Option.isSome(gatewayPrivateKey)) return GatewayKey.layer(gatewayPrivateKey.value)
    const key = yield* GatewayKey.generatePrivateKey()
    yield* Effect.logWarning("GATEWAY_PRIVATE_KEY is not set: using a fresh key for this process only")
    return Layer.effect(GatewaySigner, GatewayKey.make(key))
  })
).pipe(Layer.tap((ctx) =>
  Effect.logInfo("gateway key ready").pipe(Effect.annotateLogs({ gateway_pubkey: Context.get(ctx, GatewaySigner).pubkey }))
))

/** VTXOs the simulated arkd gives the gateway at start, so transfers can run out of the box. */
const DEMO_INVENTORY = Array.from({ length: 20 }, (_, i) => (i < 10 ? 100_000n : 1_000_000n))

/**
 * arkd. Until the gRPC adapter lands (issue 8) only the simulated daemon
 * exists; it starts with a demo inventory owned by the gateway key.
 */
export const ArkServerLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { bitcoinNetwork } = yield* ArkConfig
    return Layer.effectDiscard(
      Effect.gen(function*() {
        const sim = yield* SimulatedArkd.ArkServerSimulator
        const gateway = yield* GatewaySigner
        yield* Effect.forEach(DEMO_INVENTORY, (amount) => sim.fund(gateway.pubkey, amount), { discard: true })
        yield* Effect.logInfo("simulated arkd funded the gateway").pipe(
          Effect.annotateLogs({ vtxos: DEMO_INVENTORY.length, sats: String(DEMO_INVENTORY.reduce((a, b) => a + b, 0n)) })
        )
      })
    ).pipe(Layer.provideMerge(SimulatedArkd.layer({ network: bitcoinNetwork })))
  })
)

/** The ark signing module: sessions, challenges and the ceremony, on memory stores. */
export const ArkSigningLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const ark = yield* ArkConfig
    const settings = {
      sessionTtlMs: ark.sessionTimeoutMinutes * 60_000,
      challengeTtlMs: ark.challengeTimeoutMinutes * 60_000
    }
    return Layer.mergeAll(SessionService.layer(settings), CeremonyService.layer)
  })
).pipe(
  Layer.provideMerge(Layer.mergeAll(MemorySessions.layer, SchnorrLibsecp.layer, ArkServerLive)),
  Layer.provideMerge(GatewaySignerLive)
)

export const ReadinessLive = Layer.effect(
  ReadinessChecks,
  Effect.gen(function*() {
    const ark = yield* ArkServer
    return [
      { name: "session_store", adapter: "memory", probe: Effect.void },
      { name: "arkd", adapter: "simulated", probe: ark.getInfo().pipe(Effect.mapError((e) => ({ message: e.reason }))) }
    ]
  })
)

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

export const randomKeyHex = GatewayKey.generatePrivateKey().pipe(Effect.map(bytesToHex))
