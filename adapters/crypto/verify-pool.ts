import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import { waitReady } from "@polkadot/wasm-crypto"
import { Context, Data, Effect, Layer, Runtime } from "effect"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { check, packable, pack, type Scheme, type Verification } from "./verify-batch.js"
import type { VerifyReply, VerifyRequest } from "./verify-worker.js"

/*
 * Signature verification on worker threads: the same libsecp256k1 and
 * schnorrkel WASM as the in-process adapters, off the event loop, so a
 * request's other work (HTTP, the use case) runs on one core while its
 * signature is checked on another. Each verification goes to the thread with
 * the fewest waiting; a thread that dies hands what it held back to this one,
 * which verifies it in-process, as it does everything once no thread is left.
 */

export class VerifyPoolFailed extends Data.TaggedError("VerifyPoolFailed")<{ readonly cause: unknown }> {
  override get message() {
    return "a signature verification thread failed to start"
  }
}

export class VerifyPool extends Context.Tag("relaygate/crypto/VerifyPool")<VerifyPool, {
  readonly verify: (scheme: Scheme, signature: Uint8Array, message: Uint8Array, key: Uint8Array) => Effect.Effect<boolean>
  /** Verifier threads still running. */
  readonly threads: () => number
}>() {}

export interface WorkerEntry {
  /** The worker module, or a script that loads it (`eval`). */
  readonly code: URL | string
  readonly eval?: boolean
}

/**
 * A worker module run from TypeScript sources (dev, tests): Node 20 does not
 * apply `--import` loaders inside worker threads, so a small script registers
 * tsx there and imports the module through it.
 */
export const tsEntry = (url: URL): WorkerEntry => {
  // Resolved here, not in the worker: an eval'd script resolves bare names from the working directory.
  // The ESM entry, from tsx's own export map (its CommonJS entry cannot be import()ed).
  const require = createRequire(import.meta.url)
  const manifest = require.resolve("tsx/package.json")
  const api = (JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports["./esm/api"]!
  const tsx = new URL(api.import.default, pathToFileURL(manifest)).href
  return {
    code: `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}))`,
    eval: true
  }
}

/** The worker's entry: the built .js next to this file, or the .ts source (dev, tests). */
const workerEntry = (): WorkerEntry => {
  const js = new URL("./verify-worker.js", import.meta.url)
  if (existsSync(fileURLToPath(js))) return { code: js }
  return tsEntry(new URL("./verify-worker.ts", import.meta.url))
}

interface Pending {
  readonly verification: Verification
  readonly resume: (valid: boolean) => void
  /** Its fiber was interrupted: the answer, when it comes, goes nowhere. */
  cancelled: boolean
}

interface Thread {
  readonly worker: Worker
  /** Batches sent and not yet answered, by batch id. */
  readonly sent: Map<number, ReadonlyArray<Pending>>
  /** Taken this turn, sent when it ends. */
  queued: Array<Pending>
  /** Verifications queued or sent and not yet answered. */
  load: number
  alive: boolean
}

/** `threads` verifier threads; `entry` replaces the worker module (tests). */
export const make = (threads: number, entry: WorkerEntry = workerEntry()) =>
  Effect.gen(function*() {
    yield* Effect.promise(() => waitReady())
    const runtime = yield* Effect.runtime<never>()
    let nextBatch = 0
    let flushing = false

    const answer = (pending: ReadonlyArray<Pending>, valid: (p: Pending, i: number) => boolean) =>
      pending.forEach((p, i) => {
        if (!p.cancelled) p.resume(valid(p, i))
      })

    const died = (thread: Thread, cause: unknown) => {
      if (!thread.alive) return
      thread.alive = false
      const held = [...thread.sent.values(), thread.queued].flat()
      thread.sent.clear()
      thread.queued = []
      thread.load = 0
      answer(held, (p) => check(p.verification))
      Runtime.runFork(runtime)(Effect.logWarning("a signature verification thread stopped; verifying in-process").pipe(
        Effect.annotateLogs({ cause: String(cause), handed_back: held.length })
      ))
    }

    const spawn = Effect.async<Thread, VerifyPoolFailed>((resume) => {
      const worker = new Worker(entry.code, { eval: entry.eval === true })
      const thread: Thread = { worker, sent: new Map(), queued: [], load: 0, alive: true }
      const failed = (cause: unknown) => {
        void worker.terminate()
        resume(Effect.fail(new VerifyPoolFailed({ cause })))
      }
      worker.once("error", failed)
      worker.once("message", (first: unknown) => {
        worker.off("error", failed)
        if (first !== "ready") return failed(first)
        worker.on("message", ([batch, index, valid]: VerifyReply) => {
          const pending = thread.sent.get(batch)
          const p = pending?.[index]
          if (pending === undefined || p === undefined) return
          if (index === pending.length - 1) thread.sent.delete(batch)
          thread.load--
          if (!p.cancelled) p.resume(valid)
        })
        worker.on("error", (cause) => died(thread, cause))
        worker.on("exit", (code) => died(thread, `exit ${code}`))
        resume(Effect.succeed(thread))
      })
    })

    // Each thread is released on its own, so one that fails to start still stops those started before it.
    const pool = yield* Effect.forEach(Array.from({ length: threads }), () =>
      Effect.acquireRelease(spawn, (t) =>
        Effect.promise(() => {
          t.alive = false
          return t.worker.terminate()
        })))

    // What the event loop took in one turn (every request whose bytes arrived together) goes in one message per thread.
    const flush = () => {
      flushing = false
      for (const thread of pool) {
        if (thread.queued.length === 0 || !thread.alive) continue
        const batch = nextBatch++
        const packed = pack(thread.queued.map((p) => p.verification))
        thread.sent.set(batch, thread.queued)
        thread.queued = []
        thread.worker.postMessage([batch, packed] satisfies VerifyRequest, [packed.buffer])
      }
    }

    return VerifyPool.of({
      threads: () => pool.filter((t) => t.alive).length,
      verify: (scheme, signature, message, key) =>
        Effect.async<boolean>((resume) => {
          const verification: Verification = { scheme, signature, message, key }
          let best: Thread | undefined
          for (const t of pool) if (t.alive && (best === undefined || t.load < best.load)) best = t
          if (best === undefined || !packable(verification)) return resume(Effect.succeed(check(verification)))
          const pending: Pending = { verification, resume: (valid) => resume(Effect.succeed(valid)), cancelled: false }
          best.queued.push(pending)
          best.load++
          if (!flushing) {
            flushing = true
            setImmediate(flush)
          }
          return Effect.sync(() => {
            pending.cancelled = true
          })
        })
    })
  })

/** `threads` verifier threads, stopped with the scope. */
export const layer = (threads: number) => Layer.scoped(VerifyPool, make(threads))

/** BIP-340 through the pool; wrong lengths are false without a round trip. */
export const schnorrLayer = Layer.effect(
  SchnorrVerifier,
  Effect.map(VerifyPool, (pool) =>
    SchnorrVerifier.of({
      verify: (signature, message32, xOnlyPubkey) =>
        Effect.useSpan("SchnorrVerifier.verify", { captureStackTrace: false }, () =>
          signature.length !== 64 || message32.length !== 32 || xOnlyPubkey.length !== 32
            ? Effect.succeed(false)
            : pool.verify(0, signature, message32, xOnlyPubkey))
    }))
)

/** sr25519 through the pool (raw message, then `<Bytes>` wrapped, as sr25519-wrap.ts); wrong lengths are false without a round trip. */
export const sr25519Layer = Layer.effect(
  Sr25519Verifier,
  Effect.map(VerifyPool, (pool) =>
    Sr25519Verifier.of({
      verify: (signature, message, publicKey) =>
        Effect.useSpan("Sr25519Verifier.verify", { captureStackTrace: false }, () =>
          signature.length !== 64 || publicKey.length !== 32 ? Effect.succeed(false) : pool.verify(1, signature, message, publicKey))
    }))
)
