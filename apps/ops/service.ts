import { spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import { mkdir, stat, writeFile } from "node:fs/promises"
import { Session as InspectorSession } from "node:inspector"
import { arch, cpus, freemem, hostname, loadavg, platform, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { Clock, Config, Context, Data, Duration, Effect, Either, Layer, Option, Redacted, Ref, Schedule } from "effect"
import { SqlClient } from "@effect/sql"
import { type Alert, type AlertRule, DEFAULT_RULES, evaluate, type OpsSnapshot, toggle } from "../../core/ops/alerts.machine.js"
import type { UnknownAlertRule } from "../../core/ops/errors.js"
import { MIN_AVAILABLE } from "../../core/vtxo/model.js"
import { ClearingStore } from "../../ports/clearing-store.js"
import { ArkdConnection, type DaemonConnection, LndConnection, TapdConnection } from "../../ports/daemon-connection.js"
import { Metrics } from "../../ports/metrics.js"
import { PacketStore } from "../../ports/packet-store.js"
import { SessionStore } from "../../ports/session-store.js"
import { VtxoStore } from "../../ports/vtxo-store.js"
import { PersistenceConfig } from "../config.js"
import { ReadinessChecks, runChecks } from "../http/readiness.js"
import { Persistence } from "../persistence.js"
import { JobRegistry } from "./jobs.js"
import { LogBuffer, REDACTED, SECRET_VARIABLES, URL_VARIABLES } from "./logging.js"
import { inventoryByAsset } from "./metrics.js"

/** An operator request that cannot be carried out as asked (a 4xx). */
export class OpsRefused extends Data.TaggedError("OpsRefused")<{
  readonly status: 400 | 409 | 422
  readonly code: string
  readonly reason: string
}> {}

/** A dependency the operation needs failed (a 503). */
export class OpsUnavailable extends Data.TaggedError("OpsUnavailable")<{
  readonly dependency: string
  readonly reason: string
  readonly cause?: unknown
}> {}

export interface SystemSample {
  readonly timestamp: number
  readonly rss_bytes: number
  readonly heap_used_bytes: number
  readonly cpu_percent: number
  readonly load_average_1m: number
  readonly http_requests_total: number
}

const SAMPLE_EVERY = Duration.minutes(1)
/** A day of minute samples. */
const SAMPLES_KEPT = 24 * 60
export const MAX_PROFILE_SECONDS = 60

/** Variables /admin/configuration shows (the contract names; secrets redacted). */
const CONFIG_VARIABLES = [
  "PORT", "MODULES", "DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "ADMIN_API_KEY", "LOG_LEVEL", "METRICS_PORT",
  "RATE_LIMIT_ENABLED", "SESSION_TIMEOUT_MINUTES", "CHALLENGE_TIMEOUT_MINUTES", "VTXO_EXPIRATION_HOURS", "VTXO_MIN_AMOUNT_SATS",
  "BITCOIN_NETWORK", "GATEWAY_PRIVATE_KEY", "NOSTR_RELAYS", "NOSTR_PRIVATE_KEY",
  "ARKD_HOST", "ARKD_PORT", "ARKD_TLS_CERT", "ARKD_MACAROON", "LND_HOST", "LND_PORT", "LND_TLS_CERT", "LND_MACAROON",
  "TAPD_HOST", "TAPD_PORT", "TAPD_TLS_CERT", "TAPD_MACAROON", "EPOCH_SECRET", "ZIPCODES_FILE", "METAGRAPH_FILE",
  "S3_BUCKET", "S3_VALIDATOR_BUCKET", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_ENDPOINT",
  "JWT_SECRET", "CHAINPULSE_URL", "CLEARING_FEE", "HERMES_URL", "HERMES_BIN"
] as const

const redactUrl = (raw: string): string => {
  if (!URL.canParse(raw)) return REDACTED
  const u = new URL(raw)
  if (u.password !== "") u.password = REDACTED
  return u.toString()
}

/**
 * The operator's view across modules: alert rules and their state, the
 * snapshot they evaluate, system samples, maintenance, backups and CPU
 * profiles. Rule toggles live in this process (each replica keeps its own).
 */
export class Ops extends Context.Tag("relaygate/apps/Ops")<Ops, {
  readonly rules: Effect.Effect<ReadonlyArray<AlertRule>>
  readonly toggleRule: (name: string, enabled: boolean) => Effect.Effect<AlertRule, UnknownAlertRule>
  readonly snapshot: Effect.Effect<OpsSnapshot>
  readonly alerts: Effect.Effect<ReadonlyArray<Alert>>
  readonly checks: Effect.Effect<Readonly<Record<string, { readonly status: "ok" | "down"; readonly adapter: string; readonly detail?: string | undefined }>>>
  readonly samples: (since: number) => Effect.Effect<ReadonlyArray<SystemSample>>
  readonly configuration: Effect.Effect<Readonly<Record<string, string | null>>>
  readonly databaseStats: Effect.Effect<unknown, OpsUnavailable>
  readonly cleanup: (days: number, dryRun: boolean) => Effect.Effect<unknown, OpsUnavailable>
  readonly backup: Effect.Effect<{ readonly path: string; readonly size_bytes: number; readonly database: string; readonly duration_ms: number }, OpsRefused | OpsUnavailable>
  readonly profile: (seconds: number) => Effect.Effect<unknown, OpsRefused | OpsUnavailable>
  readonly daemons: ReadonlyArray<DaemonConnection>
  readonly systemInfo: Effect.Effect<Record<string, unknown>>
}>() {}

export const make = Effect.gen(function*() {
  const metrics = yield* Metrics
  const sessions = yield* SessionStore
  const vtxos = yield* VtxoStore
  const clearings = yield* ClearingStore
  const packets = yield* PacketStore
  const checks = yield* ReadinessChecks
  const persistence = yield* Persistence
  const persistenceConfig = yield* PersistenceConfig
  const jobs = yield* JobRegistry
  const logs = yield* LogBuffer
  const daemons = [yield* ArkdConnection, yield* LndConnection, yield* TapdConnection]
  const rules = yield* Ref.make<ReadonlyArray<AlertRule>>(DEFAULT_RULES)
  const samples = yield* Ref.make<ReadonlyArray<SystemSample>>([])
  const profiling = yield* Ref.make(false)

  const checkResults = runChecks(checks)

  const snapshot: Effect.Effect<OpsSnapshot> = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const [counts, results, signing, failed] = yield* Effect.all([
      vtxos.countByStatus().pipe(Effect.orElseSucceed(() => [])),
      checkResults,
      sessions.list({ status: "signing" }).pipe(Effect.orElseSucceed(() => [])),
      clearings.list({ statuses: ["failed"] }).pipe(Effect.orElseSucceed(() => []))
    ], { concurrency: "unbounded" })
    return {
      now,
      inventory: inventoryByAsset(counts).map((i) => ({ asset_id: i.asset_id, available: i.counts.available, minimum: MIN_AVAILABLE })),
      daemons: daemons.map((d) => {
        const r = results[d.daemon]
        return { daemon: d.daemon, adapter: d.adapter, up: r?.status === "ok", detail: r?.detail }
      }),
      ceremonies: signing.flatMap((s) =>
        s.ceremony !== null && s.ceremony.status === "running"
          ? [{ session_id: s.session_id, started_at: s.ceremony.started_at, deadline_at: s.ceremony.deadline_at }]
          : []
      ),
      failedClearings: failed.map((c) => ({ token: c.token, failed_at: c.updated_at }))
    }
  })

  const alerts = Effect.zipWith(Ref.get(rules), snapshot, evaluate)

  yield* metrics.gauge(
    "relaygate_alerts_firing",
    Effect.map(alerts, (as) => as.map((a) => ({ labels: { rule: a.rule, severity: a.severity }, value: 1 })))
  )

  // CPU use between samples, from process.cpuUsage deltas over wall time.
  let lastCpu = process.cpuUsage()
  let lastWall = performance.now()
  const sample = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const cpu = process.cpuUsage(lastCpu)
    const wall = performance.now() - lastWall
    lastCpu = process.cpuUsage()
    lastWall = performance.now()
    const mem = process.memoryUsage()
    const requests = (yield* metrics.read("relaygate_http_requests_total")).reduce((a, s) => a + s.value, 0)
    const s: SystemSample = {
      timestamp: now,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      cpu_percent: wall <= 0 ? 0 : Math.round(((cpu.user + cpu.system) / 1000 / wall) * 10_000) / 100,
      load_average_1m: loadavg()[0] ?? 0,
      http_requests_total: requests
    }
    yield* Ref.update(samples, (xs) => [...xs.slice(-(SAMPLES_KEPT - 1)), s])
  })
  yield* sample.pipe(Effect.repeat(Schedule.spaced(SAMPLE_EVERY)), Effect.forkScoped)

  const readVar = (name: string) => Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
  const configuration = Effect.gen(function*() {
    const out: Record<string, string | null> = {}
    for (const name of CONFIG_VARIABLES) {
      const v = yield* readVar(name)
      out[name] = Option.isNone(v)
        ? null
        : (SECRET_VARIABLES as ReadonlyArray<string>).includes(name)
        ? REDACTED
        : (URL_VARIABLES as ReadonlyArray<string>).includes(name)
        ? redactUrl(v.value)
        : logs.scrubber.string(v.value)
    }
    return out
  })

  const sqlUnavailable = (e: unknown) => new OpsUnavailable({ dependency: "database", reason: e instanceof Error ? e.message : String(e), cause: e })

  const databaseStats: Effect.Effect<unknown, OpsUnavailable> = Option.match(persistence.sql, {
    onNone: () =>
      Effect.gen(function*() {
        const byStatus = yield* sessions.countByStatus().pipe(Effect.mapError(sqlUnavailable))
        const vtxoCounts = yield* vtxos.countByStatus().pipe(Effect.mapError(sqlUnavailable))
        const clearingList = yield* clearings.list({}).pipe(Effect.mapError(sqlUnavailable))
        const packetList = yield* packets.list({}).pipe(Effect.mapError(sqlUnavailable))
        return {
          adapter: "memory",
          note: "in-memory stores: nothing survives a restart; set DATABASE_URL for MariaDB",
          records: {
            sessions: Object.values(byStatus).reduce((a, n) => a + n, 0),
            vtxos: vtxoCounts.reduce((a, c) => a + c.count, 0),
            clearing_requests: clearingList.length,
            packets: packetList.length
          }
        }
      }),
    onSome: (sql) =>
      Effect.gen(function*() {
        const tables = yield* sql<{ table_name: string; table_rows: number | string | null; data_length: number | string | null; index_length: number | string | null }>`
          SELECT table_name AS table_name, table_rows AS table_rows, data_length AS data_length, index_length AS index_length
          FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name`
        const [version] = yield* sql<{ version: string }>`SELECT VERSION() AS version`
        const [threads] = yield* sql<{ Value: string }>`SHOW GLOBAL STATUS LIKE 'Threads_connected'`
        return {
          adapter: "mariadb",
          server_version: version?.version ?? null,
          threads_connected: threads === undefined ? null : Number(threads.Value),
          tables: tables.map((t) => ({
            name: t.table_name,
            approximate_rows: Number(t.table_rows ?? 0),
            data_bytes: Number(t.data_length ?? 0),
            index_bytes: Number(t.index_length ?? 0)
          }))
        }
      }).pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.mapError(sqlUnavailable))
  })

  const cleanup = Effect.fn("Ops.cleanup")(function*(days: number, dryRun: boolean) {
    const now = yield* Clock.currentTimeMillis
    const cutoff = now - days * 86_400_000
    const oldSamples = (yield* Ref.get(samples)).filter((s) => s.timestamp < cutoff).length
    const oldRuns = jobs.history(0).length - jobs.history(cutoff).length
    if (!dryRun) {
      yield* Ref.update(samples, (xs) => xs.filter((s) => s.timestamp >= cutoff))
      jobs.prune(cutoff)
    }
    // Parked relay events cannot be counted without pruning them; a dry run says so.
    const parked = dryRun ? null : yield* packets.pruneParked(cutoff).pipe(Effect.mapError(sqlUnavailable))
    return {
      dry_run: dryRun,
      days,
      cutoff: new Date(cutoff).toISOString(),
      [dryRun ? "would_remove" : "removed"]: {
        system_samples: oldSamples,
        job_runs: oldRuns,
        parked_relay_events: parked
      },
      kept: "sessions, ledger journal, VTXOs, invoices, epochs, packets and clearing requests are history the gateway answers from; they are never deleted"
    }
  })

  const backup = Effect.gen(function*() {
    const url = yield* Option.match(persistenceConfig.databaseUrl, {
      onNone: () => Effect.fail(new OpsRefused({ status: 409, code: "BACKUP_UNAVAILABLE", reason: "backups need DATABASE_URL: the stores are in memory" })),
      onSome: (u) => Effect.succeed(new URL(Redacted.value(u)))
    })
    const database = decodeURIComponent(url.pathname.replace(/^\//, ""))
    const dir = join(tmpdir(), "relaygate-backups")
    const now = yield* Clock.currentTimeMillis
    const path = join(dir, `relaygate-${database}-${new Date(now).toISOString().replace(/[:.]/g, "-")}.sql`)
    const t0 = performance.now()
    yield* Effect.tryPromise({
      try: async () => {
        await mkdir(dir, { recursive: true })
        const args = [
          `--host=${url.hostname}`,
          `--port=${url.port === "" ? "3306" : url.port}`,
          `--user=${decodeURIComponent(url.username)}`,
          "--single-transaction",
          "--routines",
          "--skip-lock-tables",
          database
        ]
        // The password goes through the environment, never argv (visible in ps).
        const env = { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) }
        await new Promise<void>((resolve, reject) => {
          const child = spawn("mariadb-dump", args, { env, stdio: ["ignore", "pipe", "pipe"] })
          const out = createWriteStream(path, { mode: 0o600 })
          let stderr = ""
          child.stdout.pipe(out)
          child.stderr.on("data", (d) => (stderr += String(d)))
          child.on("error", reject)
          child.on("close", (code) => out.close(() => (code === 0 ? resolve() : reject(new Error(`mariadb-dump exited ${code}: ${stderr.trim().slice(0, 300)}`)))))
        })
      },
      catch: (e) => new OpsUnavailable({ dependency: "mariadb-dump", reason: logs.scrubber.string(e instanceof Error ? e.message : String(e)), cause: e })
    })
    const size = (yield* Effect.promise(() => stat(path))).size
    const done = { path, size_bytes: size, database, duration_ms: Math.round(performance.now() - t0) }
    yield* Effect.logInfo("backup created").pipe(Effect.annotateLogs(done))
    return done
  })

  const profile = Effect.fn("Ops.profile")(function*(seconds: number) {
    if (!(yield* Ref.getAndSet(profiling, true))) {
      return yield* runProfile(seconds).pipe(Effect.ensuring(Ref.set(profiling, false)))
    }
    return yield* Effect.fail(new OpsRefused({ status: 409, code: "PROFILE_RUNNING", reason: "a CPU profile is already being taken" }))
  })

  const systemInfo = Effect.gen(function*() {
    const mem = process.memoryUsage()
    return {
      replica: jobs.replica,
      hostname: hostname(),
      pid: process.pid,
      node_version: process.version,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      load_average: loadavg(),
      memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, heap_total_bytes: mem.heapTotal, system_free_bytes: freemem(), system_total_bytes: totalmem() },
      process_uptime_seconds: Math.floor(process.uptime())
    }
  })

  return Ops.of({
    rules: Ref.get(rules),
    toggleRule: (name, enabled) =>
      Ref.modify(rules, (rs): readonly [Either.Either<AlertRule, UnknownAlertRule>, ReadonlyArray<AlertRule>] => {
        const result = toggle(rs, name, enabled)
        return Either.isLeft(result) ? [Either.left(result.left), rs] : [Either.right(result.right.find((r) => r.name === name)!), result.right]
      }).pipe(Effect.flatMap((r) => r)),
    snapshot: Effect.withSpan(snapshot, "Ops.snapshot"),
    alerts: Effect.withSpan(alerts, "Ops.alerts"),
    checks: checkResults,
    samples: (since) => Effect.map(Ref.get(samples), (xs) => xs.filter((s) => s.timestamp >= since)),
    configuration,
    databaseStats: Effect.withSpan(databaseStats, "Ops.databaseStats"),
    cleanup,
    backup: Effect.withSpan(backup, "Ops.backup"),
    profile,
    daemons,
    systemInfo
  })
})

/**
 * A V8 CPU profile of this process over `seconds` of wall time (real time,
 * not the app clock: it measures what the CPU does meanwhile), written as a
 * .cpuprofile file Chrome DevTools opens; the answer lists the hottest functions.
 */
const runProfile = (seconds: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const session = new InspectorSession()
      session.connect()
      return session
    }),
    (session) =>
      Effect.tryPromise({
        try: async () => {
          const post = <T>(method: string, params?: object) =>
            new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))))
          await post("Profiler.enable")
          await post("Profiler.setSamplingInterval", { interval: 1000 })
          await post("Profiler.start")
          await new Promise((r) => setTimeout(r, seconds * 1000))
          const { profile } = await post<{ profile: CpuProfile }>("Profiler.stop")
          const dir = join(tmpdir(), "relaygate-profiles")
          await mkdir(dir, { recursive: true })
          const path = join(dir, `relaygate-${process.pid}-${Date.now()}.cpuprofile`)
          const text = JSON.stringify(profile)
          await writeFile(path, text, { mode: 0o600 })
          return { path, size_bytes: Buffer.byteLength(text), duration_seconds: seconds, samples: profile.samples?.length ?? 0, top_functions: hottest(profile) }
        },
        catch: (e) => new OpsUnavailable({ dependency: "inspector", reason: e instanceof Error ? e.message : String(e), cause: e })
      }),
    (session) => Effect.sync(() => session.disconnect())
  )

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }>
  readonly samples?: ReadonlyArray<number>
}

const hottest = (profile: CpuProfile) => {
  const counts = new Map<number, number>()
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1)
  const total = profile.samples?.length ?? 0
  const byFrame = new Map<string, number>()
  for (const node of profile.nodes) {
    const n = counts.get(node.id) ?? 0
    if (n === 0) continue
    const f = node.callFrame
    const key = `${f.functionName === "" ? "(anonymous)" : f.functionName} ${f.url}:${f.lineNumber + 1}`
    byFrame.set(key, (byFrame.get(key) ?? 0) + n)
  }
  return Array.from(byFrame.entries())
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([fn, n]) => ({ function: fn, self_samples: n, self_percent: total === 0 ? 0 : Math.round((n / total) * 10_000) / 100 }))
}

export const layer = Layer.scoped(Ops, make)
