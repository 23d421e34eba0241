import { FetchHttpClient } from "@effect/platform"
import { Duration, Effect, Layer, Option, Schedule } from "effect"
import * as ChainpulseHttp from "../adapters/chainpulse/metrics.js"
import * as CometBft from "../adapters/cosmos/chain-events.js"
import * as CosmosRest from "../adapters/cosmos/payment-verifier.js"
import * as HermesCli from "../adapters/hermes/cli.js"
import * as HermesRest from "../adapters/hermes/rest.js"
import * as NoRelayer from "../adapters/hermes/unavailable.js"
import * as NoChains from "../adapters/memory/chain-events.js"
import * as NoChainpulse from "../adapters/memory/chainpulse-metrics.js"
import * as ClearingService from "../core/clearing/clearing.service.js"
import * as PacketIngest from "../core/clearing/ingest.service.js"
import * as PacketQueries from "../core/clearing/packets.service.js"
import { PacketStore } from "../ports/packet-store.js"
import { ClearingEnvConfig, ServerConfig } from "./config.js"
import { jwtKeyLayer } from "./http/clearing/auth.js"
import { ClearingRateLimits } from "./http/clearing/limits.js"
import { JobRegistry } from "./ops/jobs.js"
import { tracked } from "./jobs.js"
import { ClearingStoreLive, EventBusLive, PacketStoreLive } from "./persistence.js"
import { quietFailures } from "./quiet-failures.js"
import { RequestGuardsLive } from "./request-guards.js"

/**
 * The clearing module: packets from COMETBFT_RPC_<CHAIN> (none → no packets,
 * never invented ones), Chainpulse metrics from CHAINPULSE_URL (none → empty
 * views), Hermes through HERMES_BIN (exact sequences) or HERMES_URL (whole
 * chain; none → clearing answers 503), payments checked on COSMOS_REST_<CHAIN>,
 * fees CLEARING_FEE per packet paid to CLEARING_ADDRESS_<CHAIN>, JWT_SECRET for
 * the protected routes and the WebSocket. Stores are in memory.
 */
export const ClearingLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const env = yield* ClearingEnvConfig
    const { rateLimitEnabled } = yield* ServerConfig
    const chains = env.cometbft.size === 0
      ? NoChains.layer([])
      : CometBft.layer({ chains: Array.from(env.cometbft, ([chain_id, url]) => ({ chain_id, url })) })
    const chainpulse = Option.match(env.chainpulseUrl, {
      onNone: () => NoChainpulse.layer(),
      onSome: (url) => ChainpulseHttp.layer({ url })
    })
    const hermes = Option.isSome(env.hermesBin)
      ? HermesCli.layer({ bin: env.hermesBin.value })
      : Option.isSome(env.hermesUrl)
      ? HermesRest.layer({ url: env.hermesUrl.value })
      : NoRelayer.layer
    const settings = Layer.succeed(ClearingService.ClearingConfig, {
      ...ClearingService.defaultClearingSettings,
      feePerPacket: Option.getOrNull(env.fee),
      payTo: env.clearingAddresses
    })
    if (Option.isNone(env.jwtSecret)) yield* Effect.logWarning("JWT_SECRET is not set: clearing's protected routes and the WebSocket answer 503")
    if (env.cometbft.size === 0) yield* Effect.logWarning("no COMETBFT_RPC_<CHAIN> is set: no packets will be ingested")
    return Layer.mergeAll(PacketIngest.layer, PacketQueries.layer, ClearingService.layer).pipe(
      Layer.provideMerge(Layer.mergeAll(
        PacketStoreLive,
        ClearingStoreLive,
        chains,
        chainpulse,
        hermes,
        CosmosRest.layer({ endpoints: env.cosmosRest }),
        settings,
        jwtKeyLayer(env.jwtSecret),
        Layer.succeed(ClearingRateLimits, { enabled: rateLimitEnabled })
      )),
      Layer.provide(FetchHttpClient.layer)
    )
  })
).pipe(Layer.provideMerge(Layer.mergeAll(RequestGuardsLive, EventBusLive)))

const RECONCILE_EVERY = Duration.seconds(30)
const PRUNE_EVERY = Duration.hours(1)
/** Relay events whose send_packet was never seen (packets from unwatched chains) are kept this long. */
const PARKED_FOR = Duration.days(7)

/**
 * Background work of the clearing module: follow every configured chain
 * (reconnecting and backfilling), apply deliveries to clearings as they are
 * seen, and reconcile periodically (quote expiry, clearing deadlines, anything
 * the bus dropped, paid clearings a restart interrupted).
 */
export const ClearingJobsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const ingest = yield* PacketIngest.PacketIngest
    const clearing = yield* ClearingService.ClearingService
    const packets = yield* PacketStore
    // These run on every replica (the stores make them idempotent); the registry shows them as running here.
    const jobs = yield* JobRegistry
    yield* Effect.forkScoped(ingest.followAll())
    yield* Effect.forkScoped(clearing.watch())
    yield* clearing.reconcile().pipe(
      tracked("clearing.reconcile", RECONCILE_EVERY),
      Effect.tap((r) => r.expired + r.delivered + r.failed + r.started > 0 ? Effect.logInfo("clearing reconcile").pipe(Effect.annotateLogs({ ...r })) : Effect.void),
      quietFailures("clearing reconcile"),
      Effect.repeat(Schedule.spaced(RECONCILE_EVERY)),
      (job) => jobs.leading("clearing.reconcile", job),
      Effect.forkScoped
    )
    yield* Effect.clockWith((c) => c.currentTimeMillis).pipe(
      Effect.flatMap((now) => packets.pruneParked(now - Duration.toMillis(PARKED_FOR))),
      tracked("clearing.prune-parked", PRUNE_EVERY),
      quietFailures("pruning parked relay events"),
      Effect.repeat(Schedule.spaced(PRUNE_EVERY)),
      (job) => jobs.leading("clearing.prune-parked", job),
      Effect.forkScoped
    )
  })
)
