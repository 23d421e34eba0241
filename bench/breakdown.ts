import { schnorr } from "@noble/curves/secp256k1.js"
import { readFileSync } from "node:fs"
import * as http from "node:http"
import { Context, Effect, Layer, Logger, LogLevel } from "effect"
import * as ecc from "tiny-secp256k1"
import * as GatewayKey from "../adapters/crypto/gateway-signer.js"
import * as Libsecp from "../adapters/crypto/schnorr-libsecp.js"
import * as MemorySessions from "../adapters/memory/session-store.js"
import { bytesToHex, hexToBytes } from "../core/shared/hex.js"
import * as Sessions from "../core/signing/service.js"
import { GatewaySigner } from "../ports/gateway-signer.js"
import { challengeMessage } from "../core/signing/challenge.js"
import { startApp } from "../test/support/http-app.js"
import { inProcessApp } from "../test/support/in-process-app.js"
import { signedCurrentRequests } from "./rows/http-epochs.js"

/**
 * Where the respond path's CPU goes, layer by layer, in CPU µs per request
 * (process.cpuUsage, so a busy machine slows the figures less than wall time):
 * the verifier alone; the use case on the bare memory store and as the app
 * wires it; Node's HTTP server with an empty handler; the route over loopback
 * with and without the fast path, and row 4's route through the fast path (the
 * last four include this process's client). Those run with a verifier thread,
 * as the app does, and also print the main thread's own CPU (the event loop,
 * which bounds rows 3–4): that minus Node HTTP alone's is the route's cost
 * beyond Node's HTTP. `npx tsx bench/breakdown.ts`; compare with row 3's app CPU.
 */
const N = 1_500
const cpuMicros = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

const sk = schnorr.utils.randomSecretKey()
const pubkey = bytesToHex(schnorr.getPublicKey(sk))
const intent = { recipient_pubkey: bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey())), amount: 1000, asset_id: "BTC" }

/** This thread's CPU time (Linux: the scheduler's count, in ns), whatever other threads of the process do. */
const threadMicros = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1000

const timed = <A, E, R>(label: string, n: number, body: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const c0 = cpuMicros()
    const t0 = threadMicros()
    yield* body
    const us = (cpuMicros() - c0) / n
    const main = (threadMicros() - t0) / n
    console.log(`${label.padEnd(44)} ${us.toFixed(0).padStart(6)} CPU µs/request ${main.toFixed(0).padStart(6)} on the main thread`)
    return us
  })

const verifierOnly = Effect.gen(function*() {
  const v = yield* Libsecp.make
  const msg = new Uint8Array(32).fill(7)
  const sig = ecc.signSchnorr(msg, sk)
  const pub = hexToBytes(pubkey)
  yield* timed("SchnorrVerifier.verify (libsecp WASM)", N, Effect.sync(() => {
    for (let i = 0; i < N; i++) Effect.runSync(v.verify(sig, msg, pub))
  }))
})

const useCase = Effect.gen(function*() {
  const s = yield* Sessions.SessionService
  const plan = yield* prepared(s)
  yield* timed("SessionService.respond (memory store alone)", N, Effect.forEach(plan, (p) => s.respond(p.id, { signature: p.signature }), { discard: true }))
}).pipe(
  Effect.provide(Sessions.layer({ sessionTtlMs: 3_600_000, challengeTtlMs: 600_000 }).pipe(
    Layer.provide([MemorySessions.layer, Libsecp.layer, Layer.effect(GatewaySigner, GatewayKey.make(schnorr.utils.randomSecretKey()))])
  ))
)

const prepared = (s: Context.Tag.Service<Sessions.SessionService>) =>
  Effect.gen(function*() {
    const out: Array<{ id: string; signature: string }> = []
    for (let i = 0; i < N; i++) {
      const session = yield* s.create({ user_pubkey: pubkey, session_type: "p2p_transfer", intent_data: intent })
      const { challenge } = yield* s.issueChallenge(session.session_id)
      out.push({ id: session.session_id, signature: bytesToHex(ecc.signSchnorr(challengeMessage(challenge.challenge_data), sk)) })
    }
    return out
  })

/** The same use case as the app wires it: ServicesLive on memory stores (metrics, breakers, ceremony funds hooks). */
const useCaseInApp = Effect.scoped(Effect.gen(function*() {
  const { context } = yield* inProcessApp()
  const s = Context.get(context, Sessions.SessionService)
  const plan = yield* prepared(s)
  yield* timed("SessionService.respond (app wiring)", N, Effect.forEach(plan, (p) => s.respond(p.id, { signature: p.signature }), { discard: true }))
}))

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })

/** Requests (POSTs when they have a body) over loopback from this process, 32 at a time: the client's CPU is in the figure too. */
const loopback = (port: number, plan: ReadonlyArray<{ readonly path: string; readonly body?: string }>) =>
  Effect.promise(async () => {
    const send = (path: string, body: string | undefined) =>
      new Promise<number>((resolve, reject) => {
        const headers = body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
        const req = http.request(
          { host: "127.0.0.1", port, method: body === undefined ? "GET" : "POST", path, agent, headers },
          (res) => {
            res.resume()
            res.on("end", () => resolve(res.statusCode ?? 0))
          }
        )
        req.on("error", reject)
        req.end(body)
      })
    let next = 0
    let ok = 0
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < plan.length) if ((await send(plan[next]!.path, plan[next++]!.body)) === 200) ok++
    }))
    if (ok !== plan.length) throw new Error(`${plan.length - ok} of ${plan.length} requests failed`)
  })

/** Node's HTTP server with a handler that reads the body and answers `{}`: the floor under any route. */
const bareNode = Effect.acquireUseRelease(
  Effect.promise(() =>
    new Promise<http.Server>((resolve) => {
      const server = http.createServer((req, res) => {
        req.resume()
        req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": "2" }).end("{}"))
      })
      server.listen(0, "127.0.0.1", () => resolve(server))
    })
  ),
  (server) => {
    const port = (server.address() as { port: number }).port
    const plan = Array.from({ length: N }, () => ({ path: "/sessions/x/respond", body: JSON.stringify({ signature: "ab".repeat(64) }) }))
    return Effect.zipRight(loopback(port, plan), timed("Node HTTP alone, loopback, client here", N, loopback(port, plan)))
  },
  (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
)

/** The app over loopback as it runs: one verifier thread, no per-IP socket cap (all load comes from here). */
const appOverHttp = (fastPath: boolean) => startApp({ HTTP_FAST_PATH: String(fastPath), MAX_CONNECTIONS_PER_IP: "0", VERIFY_THREADS: "1" })

/** The respond route over loopback, as served (fast path) or through the router (HTTP_FAST_PATH=false). */
const overHttp = (fastPath: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const app = yield* appOverHttp(fastPath)
    const plan = (yield* prepared(Context.get(app.context, Sessions.SessionService))).map((p) => ({
      path: `/sessions/${p.id}/respond`,
      body: JSON.stringify({ signature: p.signature, user_pubkey: pubkey })
    }))
    yield* timed(fastPath ? "respond over HTTP, fast path, client here" : "respond over HTTP, router, client here", N, loopback(Number(new URL(app.baseUrl).port), plan))
  }))

/** Row 4's route over loopback through the fast path: distinct signatures, 10 per hotkey (its rate limit). */
const currentOverHttp = Effect.scoped(Effect.gen(function*() {
  const app = yield* appOverHttp(true)
  const plan = yield* signedCurrentRequests(N / 10, 10)
  yield* timed("current assignment over HTTP, fast path", N, loopback(Number(new URL(app.baseUrl).port), plan))
}))

// Twice: the first round runs while V8 is still optimising, the second is the one to read.
const round = (n: number) =>
  Effect.zipRight(
    Effect.sync(() => console.log(n === 1 ? "round 1 (warm-up)" : "round 2")),
    Effect.all([verifierOnly, useCase, useCaseInApp, bareNode, overHttp(true), overHttp(false), currentOverHttp], { discard: true })
  )

Effect.runPromise(
  Effect.zipRight(round(1), round(2)).pipe(
    Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
    // As the app runs (apps/app.ts TracingLive).
    Effect.withTracerEnabled(false)
  )
).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
