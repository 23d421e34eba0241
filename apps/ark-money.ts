import { Clock, Context, Duration, Effect, Layer, Ref, Schedule } from "effect"
import { BTC } from "../core/ledger/model.js"
import * as ReserveService from "../core/ledger/reserve.service.js"
import * as LedgerService from "../core/ledger/service.js"
import * as LightningService from "../core/lightning/service.js"
import * as Funds from "../core/transactions/funds.service.js"
import * as TransactionService from "../core/transactions/service.js"
import * as VtxoService from "../core/vtxo/service.js"
import { ArkConfig, ArkMoneyConfig } from "./config.js"
import { leading, tracked } from "./jobs.js"
import { InvoiceStoreLive, LedgerStoreLive, TransactionStoreLive, VtxoStoreLive } from "./persistence.js"
import { quietFailures } from "./quiet-failures.js"

/**
 * The gateway's first inventory when it has none: ten VTXOs of 100 000 sats
 * and ten of 1 000 000, so transfers run out of the box. The monitor then keeps
 * it replenished in the larger denomination.
 */
const SEED_BATCHES = [{ count: 10, amount_sats: 100_000n }, { count: 10, amount_sats: 1_000_000n }] as const

export interface MonitorStatus {
  readonly enabled: boolean
  readonly interval_seconds: number
  readonly last_check_at: number | null
  readonly checks: number
  readonly last_expired: number
  readonly last_replenished: ReadonlyArray<{ readonly asset_id: string; readonly created: number; readonly error?: string }>
  readonly last_error: string | null
}

export const MONITOR_INTERVAL = Duration.minutes(1)

/** The VTXO inventory monitor (expiry cleanup + replenishment), switchable at /vtxos/monitor/start|stop. */
export class InventoryMonitor extends Context.Tag("relaygate/InventoryMonitor")<
  InventoryMonitor,
  {
    readonly start: () => Effect.Effect<MonitorStatus>
    readonly stop: () => Effect.Effect<MonitorStatus>
    readonly status: () => Effect.Effect<MonitorStatus>
    /** One pass when enabled: what the scheduled job runs every minute. */
    readonly tick: () => Effect.Effect<MonitorStatus>
  }
>() {}

const InventoryMonitorLive = Layer.effect(
  InventoryMonitor,
  Effect.gen(function*() {
    const vtxos = yield* VtxoService.VtxoService
    const state = yield* Ref.make<MonitorStatus>({
      enabled: true,
      interval_seconds: Duration.toSeconds(MONITOR_INTERVAL),
      last_check_at: null,
      checks: 0,
      last_expired: 0,
      last_replenished: [],
      last_error: null
    })
    const setEnabled = (enabled: boolean) => Ref.updateAndGet(state, (s) => ({ ...s, enabled }))
    return InventoryMonitor.of({
      start: () => setEnabled(true),
      stop: () => setEnabled(false),
      status: () => Ref.get(state),
      tick: () =>
        Effect.gen(function*() {
          if (!(yield* Ref.get(state)).enabled) return yield* Ref.get(state)
          const outcome = yield* Effect.either(Effect.all([vtxos.cleanup(), vtxos.replenish()]))
          const at = yield* Clock.currentTimeMillis
          return yield* Ref.updateAndGet(state, (s) => ({
            ...s,
            last_check_at: at,
            checks: s.checks + 1,
            ...(outcome._tag === "Right"
              ? { last_expired: outcome.right[0].length, last_replenished: outcome.right[1], last_error: null }
              : { last_error: outcome.left.message })
          }))
        })
    })
  })
)

/**
 * BTC exists from the start, and an empty inventory is seeded through arkd
 * boarding. An arkd that refuses (a real one without boarding funds) leaves
 * the inventory empty, with a warning: transfers then fail with a clear reason.
 */
const SeedLive = Layer.effectDiscard(
  Effect.gen(function*() {
    const ledger = yield* LedgerService.LedgerService
    const vtxos = yield* VtxoService.VtxoService
    yield* ledger.ensureAsset(BTC)
    if ((yield* vtxos.batches(BTC.asset_id)).length > 0) return
    for (const b of SEED_BATCHES) yield* vtxos.createBatch({ asset_id: BTC.asset_id, ...b, origin: "replenish" })
    yield* Effect.logInfo("seeded the gateway's BTC inventory through arkd").pipe(
      Effect.annotateLogs({ vtxos: SEED_BATCHES.reduce((k, b) => k + b.count, 0) })
    )
  }).pipe(Effect.catchAll((e) => Effect.logWarning("could not seed the VTXO inventory").pipe(Effect.annotateLogs({ reason: e.message }))))
)

/** Stores the ceremony's money side shares with the routes (MariaDB when DATABASE_URL is set, else memory). */
export const FundsStoresLive = Layer.mergeAll(LedgerStoreLive, VtxoStoreLive, TransactionStoreLive)

const vtxoSettings = Effect.map(ArkMoneyConfig, (money) => ({
  expirationMs: money.vtxoExpirationHours * 3_600_000,
  minAmountSats: BigInt(money.vtxoMinAmountSats)
}))

/**
 * The money side of the signing ceremony: ledger, VTXO inventory and the
 * CeremonyFunds the ceremony reserves, transfers and releases through. Needs
 * the signing module's SessionStore, ArkServer and GatewaySigner, so
 * apps/ark-signing.ts provides it beneath the ceremony.
 */
export const ArkFundsLive = Layer.unwrapEffect(
  Effect.map(vtxoSettings, (settings) => {
    const core = Funds.layer.pipe(Layer.provideMerge(VtxoService.layer(settings)), Layer.provideMerge(LedgerService.layer))
    return Layer.merge(core, SeedLive.pipe(Layer.provide(core)))
  })
).pipe(Layer.provideMerge(FundsStoresLive))

/**
 * The rest of the ark money paths, on top of the signing module: Lightning
 * lift and land (with its settlement subscription), reserve requirements, the
 * inventory monitor and the transaction routes. lnd and tapd come from
 * apps/daemons.ts.
 */
export const ArkMoneyLive = Layer.unwrapEffect(
  Effect.map(ArkConfig, ({ bitcoinNetwork }) =>
    Layer.mergeAll(
      LightningService.layer({ network: bitcoinNetwork, invoiceExpirySeconds: 3600, paymentTimeoutSeconds: 60 }),
      ReserveService.layer,
      InventoryMonitorLive,
      TransactionService.layer
    ))
).pipe(Layer.provideMerge(InvoiceStoreLive))

const SWEEP_EVERY = Duration.seconds(10)

/**
 * Background work of the money paths, each on one replica at a time (the job
 * lock): the inventory monitor every minute, the settlement batch every hour,
 * and every 10 s the Lightning sweep (expiry, in-flight payments, orphaned
 * land holds) and the ceremony-hold reconciler.
 */
export const ArkMoneyJobsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const monitor = yield* InventoryMonitor
    const vtxos = yield* VtxoService.VtxoService
    const lightning = yield* LightningService.LightningService
    const reconciler = yield* Funds.CeremonyReconciler
    yield* leading("ark.inventory", monitor.tick().pipe(tracked("ark.inventory", MONITOR_INTERVAL), Effect.repeat(Schedule.spaced(MONITOR_INTERVAL)), Effect.asVoid))
    yield* leading(
      "ark.settlement",
      vtxos.processSettlement().pipe(
        tracked("ark.settlement", Duration.hours(1)),
        Effect.tap((done) => (done.length > 0 ? Effect.logInfo("hourly settlement").pipe(Effect.annotateLogs({ settlements: done.length })) : Effect.void)),
        quietFailures("settlement"),
        Effect.repeat(Schedule.spaced(Duration.hours(1))),
        Effect.delay(Duration.hours(1)),
        Effect.asVoid
      )
    )
    yield* leading(
      "ark.money-sweep",
      Effect.all([lightning.sweep(), reconciler.reconcile()]).pipe(
        tracked("ark.money-sweep", SWEEP_EVERY),
        Effect.tap(([sweep, released]) =>
          sweep.expired + sweep.resolved + sweep.orphans_released + released > 0
            ? Effect.logInfo("money sweep").pipe(Effect.annotateLogs({ ...sweep, ceremony_holds_released: released }))
            : Effect.void),
        quietFailures("money sweep"),
        Effect.repeat(Schedule.spaced(SWEEP_EVERY)),
        Effect.asVoid
      )
    )
  })
)
