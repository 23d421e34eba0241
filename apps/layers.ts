import { createRequire } from "node:module"
import { Clock, Context, Effect, Layer, Option, Redacted } from "effect"
import { EpochService } from "../core/epochs/service.js"
import { defaultSettings, EpochsSettings } from "../core/epochs/settings.js"
import { bytesToHex, hexToBytes } from "../core/shared/hex.js"
import * as CeremonyService from "../core/signing/ceremony.service.js"
import * as SessionService from "../core/signing/service.js"
import * as GatewayKey from "../adapters/crypto/gateway-signer.js"
import * as SchnorrLibsecp from "../adapters/crypto/schnorr-libsecp.js"
import * as Sr25519Wasm from "../adapters/crypto/sr25519-wasm.js"
import * as FileMetagraph from "../adapters/file/metagraph.js"
import * as Zipcodes from "../adapters/file/zipcodes.js"
import { ArkFundsLive } from "./ark-money.js"
import * as Daemons from "./daemons.js"
import * as MemoryMetagraph from "../adapters/memory/metagraph.js"
import * as S3Grants from "../adapters/s3/upload-grants.js"
import * as NostrRelays from "../adapters/nostr/bus.js"
import { Breakers } from "../adapters/resilience/breaker.js"
import { getPublicKey } from "nostr-tools/pure"
import { SchnorrVerifier } from "../ports/schnorr-verifier.js"
import * as NostrWorkerController from "./worker/controller.js"
import { EpochStore } from "../ports/epoch-store.js"
import { Metagraph } from "../ports/metagraph.js"
import { ArkServer } from "../ports/ark-server.js"
import { ArkdConnection, LndConnection, TapdConnection } from "../ports/daemon-connection.js"
import { Lightning } from "../ports/lightning.js"
import { TaprootAssets } from "../ports/taproot-assets.js"
import { GatewaySigner } from "../ports/gateway-signer.js"
import { ArkConfig, DaemonsConfig, EpochsConfig, NostrConfig, ServerConfig } from "./config.js"
import { type Check, ReadinessChecks } from "./http/readiness.js"
import { GatewayIdentity } from "./http/system.handlers.js"
import {
  EpochStoreLive,
  persistenceChecks,
  RateLimiterLive,
  ReplayGuardLive,
  SessionStoreLive,
  storeAdapter
} from "./persistence.js"
import { instrumentDaemon, instrumentSessionStore } from "./ops/metrics.js"

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
  Layer.provideMerge(Layer.mergeAll(instrumentSessionStore(SessionStoreLive), SchnorrLibsecp.layer, ArkServerLive)),
  Layer.provideMerge(GatewaySignerLive)
)

/** RateLimiter and ReplayGuard shared by every module (Redis when REDIS_URL is set, so limits hold across replicas). */
export const RequestGuardsLive = Layer.mergeAll(RateLimiterLive, ReplayGuardLive)

/** S3_* variables, each falling back to the development stand-in (warned about: such grants upload nowhere). */
const s3Settings = (s3: EpochsConfig["s3"]) =>
  Effect.gen(function*() {
    const dev = S3Grants.devSettings
    if (Option.isNone(s3.accessKeyId) || Option.isNone(s3.secretAccessKey)) {
      yield* Effect.logWarning("S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY are not set: upload grants are signed with development credentials")
    }
    return {
      minerBucket: Option.getOrElse(s3.bucket, () => dev.minerBucket),
      validatorBucket: Option.getOrElse(s3.validatorBucket, () => dev.validatorBucket),
      region: Option.getOrElse(s3.region, () => dev.region),
      accessKeyId: Option.getOrElse(s3.accessKeyId, () => dev.accessKeyId),
      secretAccessKey: Option.getOrElse(s3.secretAccessKey, () => dev.secretAccessKey),
      endpoint: Option.getOrUndefined(s3.endpoint)
    } satisfies S3Grants.S3Settings
  })

/**
 * The epochs module (Resi Labs API): assignments on the EpochStore (MariaDB or memory), the zipcode
 * catalogue (ZIPCODES_FILE or the bundled demo), the metagraph (METAGRAPH_FILE
 * or permissive), sr25519 through WASM and S3 presigned POST grants.
 */
export const EpochsLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* EpochsConfig
    const { rateLimitEnabled } = yield* ServerConfig
    const secret = yield* Option.match(config.epochSecret, {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.logWarning("EPOCH_SECRET is not set: epoch nonces use a fresh secret for this process only").pipe(
          Effect.zipRight(randomKeyHex),
          Effect.map(Redacted.make)
        )
    })
    const catalogue = Option.match(config.zipcodesFile, {
      onNone: () => Zipcodes.layerDemo,
      onSome: (path) => Zipcodes.layerFile(path)
    }).pipe(Layer.mapError((e) => new Error(`ZIPCODES_FILE: ${e.message}`)))
    const metagraph = Option.match(config.metagraphFile, {
      onNone: () => MemoryMetagraph.layerPermissive,
      onSome: (path) => FileMetagraph.layer(path).pipe(Layer.mapError((e) => new Error(`METAGRAPH_FILE: ${e.reason}`)))
    })
    return EpochService.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(
        EpochStoreLive,
        catalogue,
        metagraph,
        Sr25519Wasm.layer,
        S3Grants.layer(yield* s3Settings(config.s3)),
        EpochsSettings.layer({ ...defaultSettings(secret), rateLimitEnabled })
      ))
    )
  })
).pipe(Layer.provideMerge(RequestGuardsLive))

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

/**
 * The Nostr worker (NOSTR_RELAYS + NOSTR_PRIVATE_KEY) on the ark signing
 * services it is given; started at once when configured. Unconfigured, it is
 * a worker that reports so and cannot be started.
 */
export const NostrWorkerLive = Layer.scoped(
  NostrWorkerController.NostrWorker,
  Effect.gen(function*() {
    const config = yield* NostrConfig
    const verifier = yield* SchnorrVerifier
    const setup = Option.map(config, ({ privateKey, relays }) => {
      const key = hexToBytes(Redacted.value(privateKey))
      return {
        pubkey: getPublicKey(key),
        bus: NostrRelays.layer({ relays, privateKey: key }).pipe(Layer.provide(Layer.succeed(SchnorrVerifier, verifier)))
      }
    })
    const worker = yield* NostrWorkerController.make(setup)
    if (Option.isSome(setup)) {
      // Configured, so start cannot answer NostrNotConfigured.
      const started = yield* Effect.orDie(worker.start())
      yield* Effect.logInfo("nostr worker started").pipe(Effect.annotateLogs({
        pubkey: started.pubkey ?? "",
        relays_connected: `${started.relays.filter((r) => r.status === "connected").length}/${started.relays.length}`
      }))
    }
    return worker
  })
)
