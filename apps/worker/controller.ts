import { Clock, Context, Effect, Exit, Layer, Option, Scope } from "effect"
import type { CeremonyService } from "../../core/signing/ceremony.service.js"
import type { SessionService } from "../../core/signing/service.js"
import { NostrBus, type RelayState } from "../../ports/nostr-bus.js"
import type { ReplayGuard } from "../../ports/replay-guard.js"
import { NostrNotConfigured, NostrNotRunning } from "./errors.js"
import { emptyStats, run, type WorkerStats } from "./worker.js"

export interface WorkerStatus {
  readonly configured: boolean
  readonly running: boolean
  /** The worker's Nostr key (NOSTR_PRIVATE_KEY), x-only hex; wallets `p`-tag it. */
  readonly pubkey: string | null
  readonly started_at: number | null
  readonly relays: ReadonlyArray<RelayState>
  readonly stats: WorkerStats
}

/** What the worker needs to run: its public key and a way to open its relays. */
export interface WorkerSetup {
  readonly pubkey: string
  readonly bus: Layer.Layer<NostrBus>
}

/**
 * The Nostr worker as something that can be started and stopped (POST
 * /nostr/start, /nostr/stop) inside a longer-lived process. Stopping closes
 * every relay connection; starting opens them again with fresh counters.
 */
export class NostrWorker extends Context.Tag("relaygate/NostrWorker")<
  NostrWorker,
  {
    readonly pubkey: string | null
    readonly start: () => Effect.Effect<WorkerStatus, NostrNotConfigured>
    readonly stop: () => Effect.Effect<WorkerStatus>
    readonly status: () => Effect.Effect<WorkerStatus>
    /** The running worker's relays, for the HTTP helpers that send. */
    readonly bus: () => Effect.Effect<typeof NostrBus.Service, NostrNotConfigured | NostrNotRunning>
  }
>() {}

interface Running {
  readonly scope: Scope.CloseableScope
  readonly bus: typeof NostrBus.Service
  readonly startedAt: number
  readonly stats: WorkerStats
}

export const make = (setup: Option.Option<WorkerSetup>) =>
  Effect.gen(function*() {
    const services = yield* Effect.context<SessionService | CeremonyService | ReplayGuard>()
    const lock = yield* Effect.makeSemaphore(1)
    let running: Running | undefined
    let lastStats = emptyStats()

    const status = () =>
      Effect.gen(function*() {
        const r = running
        return {
          configured: Option.isSome(setup),
          running: r !== undefined,
          pubkey: Option.isSome(setup) ? setup.value.pubkey : null,
          started_at: r?.startedAt ?? null,
          relays: r === undefined ? [] : yield* r.bus.relays(),
          stats: { ...(r?.stats ?? lastStats) }
        } satisfies WorkerStatus
      })

    const stop = () =>
      lock.withPermits(1)(Effect.gen(function*() {
        const r = running
        if (r === undefined) return
        running = undefined
        lastStats = r.stats
        yield* Scope.close(r.scope, Exit.void)
        yield* Effect.logInfo("nostr worker stopped")
      })).pipe(Effect.zipRight(status()))

    const start = () =>
      Effect.gen(function*() {
        if (Option.isNone(setup)) return yield* new NostrNotConfigured()
        yield* lock.withPermits(1)(Effect.gen(function*() {
          if (running !== undefined) return
          const scope = yield* Scope.make()
          const stats = emptyStats()
          const bus = Context.get(yield* Layer.buildWithScope(setup.value.bus, scope), NostrBus)
          yield* run(stats).pipe(Effect.provide(Context.add(services, NostrBus, bus)), Scope.extend(scope))
          running = { scope, bus, stats, startedAt: yield* Clock.currentTimeMillis }
        }))
        return yield* status()
      })

    yield* Effect.addFinalizer(() => stop())

    return NostrWorker.of({
      pubkey: Option.isSome(setup) ? setup.value.pubkey : null,
      start,
      stop,
      status,
      bus: () =>
        Option.isNone(setup)
          ? Effect.fail(new NostrNotConfigured())
          : running === undefined
          ? Effect.fail(new NostrNotRunning())
          : Effect.succeed(running.bus)
    })
  })
