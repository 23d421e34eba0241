import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { Redis } from "ioredis"
import { dropDatabase, randomDatabaseName, urlOf, createEmptyDatabase } from "./mariadb.js"
import { deleteUnder, randomPrefix, REDIS_URL } from "./redis.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

export interface Replica {
  readonly baseUrl: string
  /** The app's own process (not a wrapper): for signals and memory readings. */
  readonly pid: number
  readonly output: () => string
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

/**
 * `relaygate serve` as its own process, as an operator runs a replica: PORT=0
 * and `env` (nothing else from the test's environment but PATH). Waits for
 * "Listening on"; SIGTERM and wait on release.
 */
export const startReplica = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<Replica> => {
      // node itself with tsx's loader, not the tsx CLI: that would run the app in a child process of its
      // own, and SIGKILL would hit the wrapper while the app lived on.
      const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "apps/cli.ts", "serve"], {
        cwd: root,
        // Replica tests are about correctness under concurrency on a shared 2-core runner: CPU starvation from
        // other test files must not read as overload (test/apps/http/overload.test.ts sets its own bound).
        env: { PATH: process.env["PATH"] ?? "", PORT: "0", MAX_EVENT_LOOP_DELAY_MS: "5000", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (d) => (output += d))
      child.stderr!.on("data", (d) => (output += d))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      const start = Date.now()
      while (true) {
        const m = /Listening on http:\/\/[^:]+:(\d+)/.exec(output)
        if (m !== null) {
          return {
            baseUrl: `http://127.0.0.1:${m[1]}`,
            pid: child.pid!,
            output: () => output,
            exited,
            kill: (signal) => Effect.promise(() => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : (child.kill(signal), exited.then(() => undefined))))
          }
        }
        if (child.exitCode !== null || Date.now() - start > 60_000) throw new Error(`replica did not start:\n${output}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }),
    (r) => r.kill("SIGTERM")
  )

/**
 * What replicas share: a database of their own (created empty; the replicas
 * migrate it at start-up, racing for the migration lock as real ones do) and
 * a Redis key prefix of their own; both removed afterwards.
 */
export const sharedBackends = Effect.gen(function*() {
  const name = randomDatabaseName()
  yield* Effect.acquireRelease(createEmptyDatabase(name), () => dropDatabase(name))
  const prefix = randomPrefix()
  yield* Effect.addFinalizer(() =>
    Effect.acquireUseRelease(Effect.sync(() => new Redis(REDIS_URL)), (client) => deleteUnder(client, prefix), (client) => Effect.sync(() => client.disconnect()))
  )
  return { DATABASE_URL: urlOf(name), REDIS_URL, REDIS_KEY_PREFIX: prefix }
})

/** The background jobs `replica` has logged taking ("leading job"), whether its logger prints pretty text, logfmt or JSON. */
export const jobsLedBy = (replica: Replica): ReadonlySet<string> =>
  new Set(Array.from(replica.output().matchAll(/leading job[\s\S]{0,200}?\bjob"?[:=]\s*"?([\w.-]+)/g), (m) => m[1]!))
