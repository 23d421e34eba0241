import { Clock, Effect, LogLevel, Option } from "effect"
import { holderOf } from "../../adapters/redis/leader-lock.js"
import { toIso } from "../../core/shared/time.js"
import { Metrics, type MetricName, type Sample } from "../../ports/metrics.js"
import { GatewayIdentity } from "../http/system.handlers.js"
import { Persistence } from "../persistence.js"
import { NostrWorker } from "../worker/controller.js"
import { type JobStatus, JobRegistry } from "./jobs.js"
import { LOG_BUFFER_SIZE, LogBuffer } from "./logging.js"
import { Ops } from "./service.js"

/** Dependencies without which the gateway cannot serve at all (the rest degrade one feature). */
const ESSENTIAL = new Set(["database", "redis", "session_store", "epoch_store"])

const sum = (xs: ReadonlyArray<Sample>) => xs.reduce((a, s) => a + s.value, 0)

/** `{ label value: figure }` from samples, for one label. */
const by = (xs: ReadonlyArray<Sample>, label: string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const s of xs) out[s.labels[label] ?? ""] = (out[s.labels[label] ?? ""] ?? 0) + s.value
  return out
}

/**
 * Who holds each job's lock: this replica when it leads; with Redis, the
 * holder named in the lock's value; otherwise nobody (one process).
 */
const leaders = (names: ReadonlyArray<string>) =>
  Effect.flatMap(Persistence, (p) =>
    Option.match(p.redis, {
      onNone: () => Effect.succeed(new Map<string, string | null>()),
      onSome: ({ client, prefix }) =>
        Effect.tryPromise(() => (names.length === 0 ? Promise.resolve([]) : client.mget(...names.map((n) => `${prefix}lock:${n}`)))).pipe(
          Effect.map((values) => new Map(names.map((n, i) => [n, values[i] == null ? null : holderOf(values[i]!)]))),
          Effect.orElseSucceed(() => new Map<string, string | null>())
        )
    }))

const jobView = (j: JobStatus, replica: string, holder: string | null | undefined) => ({
  name: j.name,
  every_seconds: j.every_seconds,
  leader: j.leader_here ? replica : holder ?? null,
  leader_here: j.leader_here,
  leader_since: j.leader_since === null ? null : toIso(j.leader_since),
  runs: j.runs,
  failures: j.failures,
  last_run: j.last_run === null
    ? null
    : { started_at: toIso(j.last_run.started_at), duration_ms: j.last_run.duration_ms, outcome: j.last_run.outcome, error: j.last_run.error },
  next_run_at: j.next_run_at === null ? null : toIso(j.next_run_at)
})

export const queueStatus = Effect.gen(function*() {
  const jobs = yield* JobRegistry
  const now = yield* Clock.currentTimeMillis
  const statuses = yield* jobs.statuses
  const held = yield* leaders(statuses.map((j) => j.name))
  return { replica: jobs.replica, timestamp: toIso(now), jobs: statuses.map((j) => jobView(j, jobs.replica, held.get(j.name))) }
})

/** A job is stale when it missed two of its runs on the replica that leads it. */
export const heartbeats = Effect.gen(function*() {
  const jobs = yield* JobRegistry
  const id = yield* GatewayIdentity
  const now = yield* Clock.currentTimeMillis
  const statuses = yield* jobs.statuses
  return {
    timestamp: toIso(now),
    heartbeats: [
      { service: "relaygate", replica: jobs.replica, last_seen: toIso(now), status: "ok", uptime_seconds: Math.floor((now - id.startedAt) / 1000) },
      ...statuses.map((j) => {
        const last = j.last_run === null ? null : j.last_run.started_at + j.last_run.duration_ms
        const status = !j.leader_here
          ? "not led here"
          : j.last_run?.outcome === "failed"
          ? "failing"
          : last === null || j.every_seconds === null
          ? "waiting for first run"
          : last + 2 * j.every_seconds * 1000 + 1000 < now
          ? "stale"
          : "ok"
        return { service: `job:${j.name}`, replica: jobs.replica, last_seen: last === null ? null : toIso(last), status }
      })
    ]
  }
})

const read = (name: MetricName) => Effect.flatMap(Metrics, (m) => m.read(name))

/** Every module's figures, read from the same sources /metrics reports. */
export const moduleStats = Effect.gen(function*() {
  const [sessions, steps, ceremonies, supply, reserved, holders, vtxos, vtxoSats, invoices, epochs, packets, clearings] = yield* Effect.all([
    read("relaygate_sessions"),
    read("relaygate_ceremony_steps_total"),
    read("relaygate_ceremonies_total"),
    read("relaygate_ledger_supply"),
    read("relaygate_ledger_reserved"),
    read("relaygate_ledger_holders"),
    read("relaygate_vtxos"),
    read("relaygate_vtxo_amount_sats"),
    read("relaygate_invoices"),
    read("relaygate_epochs"),
    read("relaygate_packets"),
    read("relaygate_clearings")
  ], { concurrency: "unbounded" })
  const assets = Array.from(new Set([...supply, ...vtxos].map((s) => s.labels.asset_id ?? ""))).sort()
  return {
    sessions: { total: sum(sessions), by_status: by(sessions, "status") },
    ceremonies: {
      by_outcome: by(ceremonies, "outcome"),
      steps: Object.fromEntries(
        Array.from(new Set(steps.map((s) => s.labels.step ?? ""))).map((step) => [step, by(steps.filter((s) => s.labels.step === step), "outcome")])
      )
    },
    ledger: assets.map((asset_id) => ({
      asset_id,
      circulating_supply: by(supply, "asset_id")[asset_id] ?? 0,
      reserved: by(reserved, "asset_id")[asset_id] ?? 0,
      holders: by(holders, "asset_id")[asset_id] ?? 0
    })),
    vtxos: assets.map((asset_id) => ({
      asset_id,
      by_status: by(vtxos.filter((s) => s.labels.asset_id === asset_id), "status"),
      sats_by_status: by(vtxoSats.filter((s) => s.labels.asset_id === asset_id), "status")
    })).filter((v) => Object.keys(v.by_status).length > 0),
    invoices: { total: sum(invoices), by_type: by(invoices, "type"), by_status: by(invoices, "status") },
    epochs: { stored: sum(epochs) },
    packets: { total: sum(packets), by_state: by(packets, "state") },
    clearings: { total: sum(clearings), by_status: by(clearings, "status") }
  }
})

export const httpStats = Effect.gen(function*() {
  const [requests, refusals, authFailures] = yield* Effect.all([
    read("relaygate_http_requests_total"),
    read("relaygate_rate_limit_refusals_total"),
    read("relaygate_admin_auth_failures_total")
  ])
  const byClass: Record<string, number> = {}
  for (const s of requests) {
    const k = `${(s.labels.status ?? "0")[0]}xx`
    byClass[k] = (byClass[k] ?? 0) + s.value
  }
  return { requests_total: sum(requests), by_status_class: byClass, rate_limit_refusals: sum(refusals), admin_auth_failures: sum(authFailures) }
})

export const stats = Effect.gen(function*() {
  const now = yield* Clock.currentTimeMillis
  return { timestamp: toIso(now), ...(yield* moduleStats), http: yield* httpStats }
})

export const comprehensiveHealth = Effect.gen(function*() {
  const ops = yield* Ops
  const id = yield* GatewayIdentity
  const now = yield* Clock.currentTimeMillis
  const [checks, alerts, queue] = yield* Effect.all([ops.checks, ops.alerts, queueStatus], { concurrency: "unbounded" })
  const down = Object.entries(checks).filter(([, c]) => c.status === "down").map(([name]) => name)
  const status = down.some((d) => ESSENTIAL.has(d)) ? "unhealthy" : down.length > 0 || alerts.length > 0 ? "degraded" : "healthy"
  const mem = process.memoryUsage()
  return {
    status,
    timestamp: toIso(now),
    uptime_seconds: Math.floor((now - id.startedAt) / 1000),
    version: id.version,
    checks,
    alerts: alerts.map((a) => ({ ...a, since: toIso(a.since) })),
    jobs: queue.jobs,
    process: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed }
  }
})

export const monitoringStats = Effect.gen(function*() {
  const logs = yield* LogBuffer
  const now = yield* Clock.currentTimeMillis
  const mem = process.memoryUsage()
  const modules = yield* moduleStats
  return {
    timestamp: toIso(now),
    memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, heap_total_bytes: mem.heapTotal, external_bytes: mem.external },
    database: {
      sessions: modules.sessions.total,
      vtxos: modules.vtxos.reduce((a, v) => a + Object.values(v.by_status).reduce((x, y) => x + y, 0), 0),
      invoices: modules.invoices.total,
      epochs: modules.epochs.stored,
      packets: modules.packets.total,
      clearings: modules.clearings.total
    },
    cache: { caches: [] },
    logs: { buffered: logs.recent({ limit: LOG_BUFFER_SIZE, minimumLevel: LogLevel.All }).length, capacity: LOG_BUFFER_SIZE }
  }
})

export const cacheStats = Effect.map(Clock.currentTimeMillis, (now) => ({
  timestamp: toIso(now),
  caches: [],
  note: "relaygate keeps no read cache: every answer is read from the stores (MariaDB or memory), so there is nothing to go stale across replicas"
}))

export const dashboard = Effect.gen(function*() {
  const ops = yield* Ops
  const id = yield* GatewayIdentity
  const worker = yield* NostrWorker
  const now = yield* Clock.currentTimeMillis
  const [modules, http, checks, alerts, queue, nostr] = yield* Effect.all(
    [moduleStats, httpStats, ops.checks, ops.alerts, queueStatus, worker.status()],
    { concurrency: "unbounded" }
  )
  return {
    timestamp: toIso(now),
    gateway: { version: id.version, modules: id.modules, network: id.network, uptime_seconds: Math.floor((now - id.startedAt) / 1000) },
    ...modules,
    http,
    dependencies: checks,
    alerts: { firing: alerts.length, items: alerts.map((a) => ({ ...a, since: toIso(a.since) })) },
    jobs: queue.jobs.map((j) => ({ name: j.name, runs: j.runs, failures: j.failures, last_run: j.last_run, leader: j.leader })),
    nostr: { configured: nostr.configured, running: nostr.running, relays: nostr.relays.length }
  }
})
