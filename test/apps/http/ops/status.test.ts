import { hostname } from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, TestClock } from "effect"
import * as MemoryLock from "../../../../adapters/memory/leader-lock.js"
import * as RedisLock from "../../../../adapters/redis/leader-lock.js"
import { LeaderLock } from "../../../../ports/leader-lock.js"
import { randomPrefix, REDIS_URL, redisLayerWith, withRedis } from "../../../support/redis.js"
import { EpochsJobsLive, SigningJobsLive } from "../../../../apps/jobs.js"
import { JobRegistry } from "../../../../apps/ops/jobs.js"
import { eventually } from "../../../support/eventually.js"
import { request, startApp } from "../../../support/http-app.js"
import { completeCeremony } from "../../../support/wallet.js"

const KEY = "status-admin-key-0123456789"

/** Runs the signing and epoch jobs on the app's services, as `npm start` does, on the test clock. */
const withJobs = (app: Effect.Effect.Success<ReturnType<typeof startApp>>) =>
  Layer.build(Layer.mergeAll(SigningJobsLive, EpochsJobsLive).pipe(
    Layer.provide(MemoryLock.layer),
    Layer.provide(Layer.succeedContext(app.context))
  ))

describe("status routes", () => {
  it.scoped("/queue-status, /heartbeats and /admin/jobs/statistics follow the scheduled jobs as they run", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      expect((yield* request(app.baseUrl, "GET", "/queue-status")).body.jobs).toEqual([])
      yield* withJobs(app)
      const queue = (yield* eventually(request(app.baseUrl, "GET", "/queue-status"), (r) => r.body.jobs.length === 2, "both jobs ran")).body
      const sweep = queue.jobs.find((j: any) => j.name === "signing.sweep")
      expect(sweep).toMatchObject({ every_seconds: 10, leader: queue.replica, leader_here: true, runs: 1, failures: 0, last_run: { outcome: "succeeded" } })
      expect(queue.replica).toBe(`${hostname()}:${process.pid}`)
      // Next run: the end of the last one plus the interval, on the app's clock.
      expect(Date.parse(sweep.next_run_at) - Date.parse(sweep.last_run.started_at)).toBeGreaterThanOrEqual(10_000)
      expect(queue.jobs.find((j: any) => j.name === "epochs.rollover")).toMatchObject({ every_seconds: 60, runs: 1 })

      yield* TestClock.adjust(Duration.seconds(25))
      const later = (yield* eventually(request(app.baseUrl, "GET", "/queue-status"), (r) => r.body.jobs.find((j: any) => j.name === "signing.sweep").runs === 3, "third sweep")).body
      expect(later.jobs.find((j: any) => j.name === "epochs.rollover").runs).toBe(1)

      // A run that fails is counted and its error kept.
      yield* Context.get(app.context, JobRegistry).track("test.failing", "1 minute")(Effect.fail(new Error("store down"))).pipe(Effect.ignore)
      const failing = (yield* request(app.baseUrl, "GET", "/queue-status")).body.jobs.find((j: any) => j.name === "test.failing")
      expect(failing).toMatchObject({ runs: 1, failures: 1, last_run: { outcome: "failed" } })
      expect(failing.last_run.error).toContain("store down")

      const beats = (yield* request(app.baseUrl, "GET", "/heartbeats")).body.heartbeats
      expect(beats[0]).toMatchObject({ service: "relaygate", status: "ok" })
      expect(beats.find((b: any) => b.service === "job:signing.sweep")).toMatchObject({ status: "ok" })
      yield* TestClock.adjust(Duration.minutes(2))
      const stats = (yield* request(app.baseUrl, "GET", "/admin/jobs/statistics?hours=1", undefined, { headers: { "x-admin-key": KEY } })).body
      expect(stats.total_runs).toBeGreaterThanOrEqual(5)
      expect(stats.failed_runs).toBe(1)
      expect(stats.jobs.find((j: any) => j.job === "test.failing")).toMatchObject({ runs: 1, failures: 1, last_error: expect.stringContaining("store down") })

      const metrics = (yield* request(app.baseUrl, "GET", "/metrics")).body as string
      const sweeps = /relaygate_job_runs_total\{job="signing.sweep",outcome="succeeded"\} (\d+)/.exec(metrics)
      expect(Number(sweeps?.[1])).toBeGreaterThanOrEqual(3)
      expect(metrics).toContain(`relaygate_job_runs_total{job="test.failing",outcome="failed"} 1`)
    }), { timeout: 60_000 })

  it.scoped("/stats, /monitoring/stats, /monitoring/cache/stats and /health/comprehensive report live figures", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const before = (yield* request(app.baseUrl, "GET", "/stats")).body
      expect(before.sessions.total).toBe(0)
      expect((yield* completeCeremony(app.baseUrl)).status).toBe("completed")
      const stats = (yield* request(app.baseUrl, "GET", "/stats")).body
      expect(stats.sessions).toMatchObject({ total: 1, by_status: { completed: 1 } })
      expect(stats.ceremonies.by_outcome).toEqual({ completed: 1 })
      const btc = stats.vtxos.find((v: any) => v.asset_id === "BTC")
      expect(btc.by_status.available).toBeGreaterThan(0)
      expect(stats.http.requests_total).toBeGreaterThan(5)

      const monitoring = (yield* request(app.baseUrl, "GET", "/monitoring/stats")).body
      expect(monitoring.database.sessions).toBe(1)
      expect(monitoring.memory.rss_bytes).toBeGreaterThan(0)
      expect((yield* request(app.baseUrl, "GET", "/monitoring/cache/stats")).body.caches).toEqual([])

      const health = yield* request(app.baseUrl, "GET", "/health/comprehensive")
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({ status: "healthy", alerts: [] })
      expect(Object.keys(health.body.checks)).toEqual(expect.arrayContaining(["database", "redis", "arkd", "lnd", "tapd", "nostr_relays", "chainpulse", "hermes", "cometbft"]))
    }), { timeout: 60_000 })

  it.scoped("/ready lists every dependency; a CometBFT RPC that does not answer makes it 503", () =>
    Effect.gen(function*() {
      const healthy = yield* startApp()
      const ready = yield* request(healthy.baseUrl, "GET", "/ready")
      expect(ready.status).toBe(200)
      expect(ready.body.checks).toMatchObject({
        database: { status: "ok", adapter: "memory" },
        redis: { status: "ok", adapter: "memory" },
        arkd: { status: "ok", adapter: "simulated" },
        lnd: { status: "ok", adapter: "simulated" },
        tapd: { status: "ok", adapter: "simulated" },
        nostr_relays: { status: "ok", adapter: "off" },
        chainpulse: { status: "ok", adapter: "off" },
        hermes: { status: "ok", adapter: "off" },
        cometbft: { status: "ok", adapter: "off" }
      })
      // Port 9 (discard) on loopback: nothing listens, the probe fails fast.
      const broken = yield* startApp({ COMETBFT_RPC_OSMOSIS_1: "http://127.0.0.1:9", CHAINPULSE_URL: "http://127.0.0.1:9" })
      const down = yield* request(broken.baseUrl, "GET", "/ready")
      expect(down.status).toBe(503)
      expect(down.body.checks["cometbft:osmosis-1"]).toMatchObject({ status: "down", adapter: "rpc" })
      expect(down.body.checks.chainpulse).toMatchObject({ status: "down", adapter: "http" })
      const metrics = (yield* request(broken.baseUrl, "GET", "/metrics")).body as string
      expect(metrics).toContain(`relaygate_dependency_up{dependency="cometbft:osmosis-1",adapter="rpc"} 0`)
    }), { timeout: 60_000 })
})

await withRedis("queue status on Redis", () =>
  describe("queue status on Redis", () => {
    it.scoped("names the replica holding a job's lock when it is not this one", () =>
      Effect.gen(function*() {
        const prefix = randomPrefix()
        // Another replica, here a lock with another holder name on the same Redis prefix, leads the sweep.
        const other = yield* Layer.build(RedisLock.layer({ holder: "replica-b:4242" }).pipe(Layer.provide(redisLayerWith(prefix))))
        yield* Effect.forkScoped(Context.get(other, LeaderLock).lead("signing.sweep", Effect.never))
        const app = yield* startApp({ REDIS_URL, REDIS_KEY_PREFIX: prefix })
        yield* Layer.build(Layer.mergeAll(SigningJobsLive, EpochsJobsLive).pipe(
          Layer.provide(Layer.effect(LeaderLock, RedisLock.make()).pipe(Layer.provide(redisLayerWith(prefix)))),
          Layer.provide(Layer.succeedContext(app.context))
        ))
        const queue = (yield* eventually(request(app.baseUrl, "GET", "/queue-status"), (r) =>
          r.body.jobs.some((j: any) => j.name === "epochs.rollover" && j.runs === 1), "rollover ran here")).body
        expect(queue.jobs.find((j: any) => j.name === "signing.sweep")).toMatchObject({ leader: "replica-b:4242", leader_here: false, runs: 0, next_run_at: null })
        expect(queue.jobs.find((j: any) => j.name === "epochs.rollover")).toMatchObject({ leader: queue.replica, leader_here: true })
      }), { timeout: 60_000 })
  }))
