import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Clock, Context, Effect, Either, Layer, Option, Runtime } from "effect"
import * as Prometheus from "../../adapters/prometheus/metrics.js"
import { classify, linksMap } from "../../core/clearing/classification.machine.js"
import { ceremonyOutcomes } from "../../core/ops/ceremony-outcomes.js"
import type { Session } from "../../core/signing/model.js"
import { inventoryStatus } from "../../core/vtxo/machine.js"
import { ClearingStore } from "../../ports/clearing-store.js"
import { EpochStore } from "../../ports/epoch-store.js"
import { InvoiceStore } from "../../ports/invoice-store.js"
import { LedgerService } from "../../core/ledger/service.js"
import { Metrics, type Sample } from "../../ports/metrics.js"
import { PacketStore } from "../../ports/packet-store.js"
import { SessionStore } from "../../ports/session-store.js"
import { VtxoStore } from "../../ports/vtxo-store.js"
import { ServerConfig } from "../config.js"
import { ReadinessChecks, runChecks } from "../http/readiness.js"

/** One registry per app instance (tests and embedders may run several in one process). */
export const MetricsLive = Prometheus.layer()

const safe = (n: bigint): number => Number(n)

/**
 * Wraps every Effect-returning method of a daemon port so each call is timed
 * (relaygate_daemon_call_duration_seconds) and failures are counted
 * (relaygate_daemon_errors_total). Streams pass through untouched.
 */
export const instrumentDaemon = <I, S extends object>(tag: Context.Tag<I, S>, daemon: string) =>
  <ROut, E, R>(layer: Layer.Layer<ROut | I, E, R>): Layer.Layer<ROut | I, E, R | Metrics> =>
    Layer.effect(
      tag,
      Effect.gen(function*() {
        const service = yield* tag
        const metrics = yield* Metrics
        const wrapped: Record<string, unknown> = {}
        for (const [method, value] of Object.entries(service)) {
          wrapped[method] = typeof value !== "function"
            ? value
            : (...args: Array<unknown>) => {
              const result: unknown = value.apply(service, args)
              if (!Effect.isEffect(result)) return result
              return Effect.suspend(() => {
                const t0 = performance.now()
                return (result as Effect.Effect<unknown, unknown, unknown>).pipe(
                  Effect.onExit((exit) => {
                    const seconds = (performance.now() - t0) / 1000
                    const outcome = exit._tag === "Success" ? "ok" : "error"
                    return Effect.zipRight(
                      metrics.observe("relaygate_daemon_call_duration_seconds", { daemon, method, outcome }, seconds),
                      outcome === "ok" ? Effect.void : metrics.increment("relaygate_daemon_errors_total", { daemon, method })
                    )
                  })
                )
              })
            }
        }
        return wrapped as S
      })
    ).pipe(Layer.provideMerge(layer))

/**
 * The session store, counting ceremony steps and ceremonies as they end.
 * Counting at the store compares the version read with the version written,
 * so a step is counted once whichever path (HTTP, Nostr worker, sweep,
 * recovery) ended it, and not again when the session is saved later.
 */
export const instrumentSessionStore = <ROut, E, R>(layer: Layer.Layer<ROut | SessionStore, E, R>): Layer.Layer<ROut | SessionStore, E, R | Metrics> =>
  Layer.effect(
    SessionStore,
    Effect.gen(function*() {
      const store = yield* SessionStore
      const metrics = yield* Metrics
      const record = (before: Session, after: Session) => {
        const o = ceremonyOutcomes(before.ceremony, after.ceremony)
        if (o.steps.length === 0 && o.ceremony === null) return Effect.void
        return Effect.all([
          Effect.forEach(o.steps, (s) => metrics.increment("relaygate_ceremony_steps_total", { step: s.step, outcome: s.outcome }), { discard: true }),
          o.ceremony === null ? Effect.void : metrics.increment("relaygate_ceremonies_total", { outcome: o.ceremony })
        ], { discard: true })
      }
      return SessionStore.of({
        ...store,
        modify: (sessionId, decide) =>
          Effect.suspend(() => {
            // The last decision taken is the one written (a SQL retry decides again on fresh data).
            let seen: readonly [Session, Session] | undefined
            return store.modify(sessionId, (current) =>
              Either.map(decide(current), (result) => {
                seen = [current, result[0]]
                return result
              })).pipe(Effect.tap(() => (seen === undefined ? Effect.void : record(seen[0], seen[1]))))
          })
      })
    })
  ).pipe(Layer.provideMerge(layer))

const countBy = <T>(items: ReadonlyArray<T>, key: (t: T) => Record<string, string>): ReadonlyArray<Sample> => {
  const counts = new Map<string, { labels: Record<string, string>; value: number }>()
  for (const item of items) {
    const labels = key(item)
    const k = JSON.stringify(labels)
    const entry = counts.get(k) ?? { labels, value: 0 }
    entry.value += 1
    counts.set(k, entry)
  }
  return Array.from(counts.values())
}

/**
 * The gauges, each read from its store when /metrics is scraped: what the
 * stores hold is the truth shared by every replica.
 */
export const MetricSourcesLive = Layer.effectDiscard(
  Effect.gen(function*() {
    const metrics = yield* Metrics
    const sessions = yield* SessionStore
    const ledger = yield* LedgerService
    const vtxos = yield* VtxoStore
    const invoices = yield* InvoiceStore
    const epochs = yield* EpochStore
    const packets = yield* PacketStore
    const clearings = yield* ClearingStore
    const checks = yield* ReadinessChecks

    yield* metrics.gauge(
      "relaygate_sessions",
      Effect.map(sessions.countByStatus(), (byStatus) => Object.entries(byStatus).map(([status, value]) => ({ labels: { status }, value })))
    )
    const assetStats = ledger.stats()
    yield* metrics.gauge("relaygate_ledger_supply", Effect.map(assetStats, (xs) => xs.map((s) => ({ labels: { asset_id: s.asset.asset_id }, value: safe(s.asset.circulating_supply) }))))
    yield* metrics.gauge("relaygate_ledger_reserved", Effect.map(assetStats, (xs) => xs.map((s) => ({ labels: { asset_id: s.asset.asset_id }, value: safe(s.reserved) }))))
    yield* metrics.gauge("relaygate_ledger_holders", Effect.map(assetStats, (xs) => xs.map((s) => ({ labels: { asset_id: s.asset.asset_id }, value: s.holders }))))
    const vtxoCounts = vtxos.countByStatus()
    yield* metrics.gauge("relaygate_vtxos", Effect.map(vtxoCounts, (xs) => xs.map((c) => ({ labels: { asset_id: c.asset_id, status: c.status }, value: c.count }))))
    yield* metrics.gauge(
      "relaygate_vtxo_amount_sats",
      Effect.map(vtxoCounts, (xs) => xs.map((c) => ({ labels: { asset_id: c.asset_id, status: c.status }, value: safe(c.amount_sats) })))
    )
    yield* metrics.gauge(
      "relaygate_invoices",
      Effect.map(invoices.countByTypeAndStatus(), (xs) => xs.map((c) => ({ labels: { type: c.invoice_type, status: c.status }, value: c.count })))
    )
    yield* metrics.gauge("relaygate_epochs", Effect.map(epochs.list({}), (xs) => [{ labels: {}, value: xs.length }]))
    yield* metrics.gauge(
      "relaygate_packets",
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const heights = new Map((yield* packets.heads()).map((h) => [h.chain_id, h.height]))
        const links = linksMap(yield* packets.links())
        const all = yield* packets.list({})
        return countBy(all, (p) => ({ state: classify(p, { now, heights, links }).status }))
      })
    )
    yield* metrics.gauge("relaygate_clearings", Effect.map(clearings.list({}), (xs) => countBy(xs, (c) => ({ status: c.status }))))
    yield* metrics.gauge(
      "relaygate_dependency_up",
      Effect.map(runChecks(checks), (results) =>
        Object.entries(results).map(([dependency, r]) => ({ labels: { dependency, adapter: r.adapter }, value: r.status === "ok" ? 1 : 0 })))
    )
  })
)

/** Inventory per asset in the shape the alert rules read. */
export const inventoryByAsset = (rows: Parameters<typeof inventoryStatus>[1]) =>
  Array.from(new Set(rows.map((r) => r.asset_id))).map((asset) => inventoryStatus(asset, rows))

/** The separate Prometheus listener (METRICS_PORT); `port` is none when it is not configured. */
export class MetricsListener extends Context.Tag("relaygate/apps/MetricsListener")<MetricsListener, {
  readonly port: Option.Option<number>
}>() {}

/** GET /metrics (and only that) on METRICS_PORT, next to /metrics on PORT. */
export const MetricsListenerLive = Layer.scoped(
  MetricsListener,
  Effect.gen(function*() {
    const { metricsPort } = yield* ServerConfig
    if (Option.isNone(metricsPort)) return { port: Option.none() }
    const metrics = yield* Metrics
    const run = Runtime.runPromise(yield* Effect.runtime<never>())
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof createServer>, Error>((resume) => {
        const s = createServer((req, res) => {
          if ((req.url ?? "").split("?")[0] !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
            res.writeHead(404, { "content-type": "text/plain" }).end("only GET /metrics here\n")
            return
          }
          run(metrics.exposition).then(
            ({ contentType, text }) => res.writeHead(200, { "content-type": contentType }).end(req.method === "HEAD" ? undefined : text),
            () => res.writeHead(500).end()
          )
        })
        s.once("error", (e) => resume(Effect.fail(new Error(`METRICS_PORT ${metricsPort.value}: ${e.message}`))))
        s.listen(metricsPort.value, () => resume(Effect.succeed(s)))
      }),
      (s) => Effect.async<void>((resume) => void s.close(() => resume(Effect.void)))
    )
    const port = (server.address() as AddressInfo).port
    yield* Effect.logInfo("metrics listening").pipe(Effect.annotateLogs({ metrics_port: port }))
    return { port: Option.some(port) }
  })
)
