import { Context, Effect, Layer, Option } from "effect"
import { bytesToHex } from "../core/shared/hex.js"
import * as CeremonyService from "../core/signing/ceremony.service.js"
import * as SessionService from "../core/signing/service.js"
import * as GatewayKey from "../adapters/crypto/gateway-signer.js"
import { SchnorrVerifierLive } from "./verifiers.js"
import { ArkServer } from "../ports/ark-server.js"
import { GatewaySigner } from "../ports/gateway-signer.js"
import { ArkFundsLive } from "./ark-money.js"
import { ArkConfig, DaemonsConfig } from "./config.js"
import * as Daemons from "./daemons.js"
import { instrumentDaemon, instrumentSessionStore } from "./ops/metrics.js"
import { SessionStoreLive } from "./persistence.js"

/** A new secp256k1 private key, hex: `relaygate keygen` prints it, and stands in for unset secrets. */
export const randomKeyHex = GatewayKey.generatePrivateKey().pipe(Effect.map(bytesToHex))

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

/**
 * arkd: the gRPC adapter when ARKD_HOST is set, else the simulated daemon.
 * The gateway's inventory is boarded through it at start (apps/ark-money.ts).
 */
export const ArkServerLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { bitcoinNetwork } = yield* ArkConfig
    return instrumentDaemon(ArkServer, "arkd")(Daemons.arkd((yield* DaemonsConfig).arkd, bitcoinNetwork))
  })
)

/** The ark signing module: sessions, challenges and the ceremony (stores on MariaDB when DATABASE_URL is set, else memory). */
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
  // The ceremony moves balances through the ledger and spends the VTXO inventory.
  Layer.provideMerge(ArkFundsLive),
  Layer.provideMerge(Layer.mergeAll(instrumentSessionStore(SessionStoreLive), SchnorrVerifierLive, ArkServerLive)),
  Layer.provideMerge(GatewaySignerLive)
)
