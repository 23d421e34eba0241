import { schnorr } from "@noble/curves/secp256k1.js"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as ecc from "tiny-secp256k1"
import * as GatewayKey from "../adapters/crypto/gateway-signer.js"
import * as Libsecp from "../adapters/crypto/schnorr-libsecp.js"
import * as MemorySessions from "../adapters/memory/session-store.js"
import { bytesToHex, hexToBytes } from "../core/shared/hex.js"
import * as Sessions from "../core/signing/service.js"
import { GatewaySigner } from "../ports/gateway-signer.js"
import { challengeMessage } from "../core/signing/challenge.js"
import { inProcessApp } from "../test/support/in-process-app.js"

/**
 * Where the respond path's CPU goes, layer by layer, in CPU µs per request
 * (process.cpuUsage, so a busy machine slows the figures less than wall time):
 * the verifier alone, the use case on the memory store, and the whole HTTP app
 * without sockets. `npx tsx bench/breakdown.ts`; compare with row 3's app CPU.
 */
const N = 1_500
const cpuMicros = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

const sk = schnorr.utils.randomSecretKey()
const pubkey = bytesToHex(schnorr.getPublicKey(sk))
const intent = { recipient_pubkey: bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey())), amount: 1000, asset_id: "BTC" }

const timed = <A, E, R>(label: string, n: number, body: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const c0 = cpuMicros()
    yield* body
    const us = (cpuMicros() - c0) / n
    console.log(`${label.padEnd(44)} ${us.toFixed(0).padStart(6)} CPU µs/request`)
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
  const prepared: Array<{ id: string; signature: string }> = []
  for (let i = 0; i < N; i++) {
    const session = yield* s.create({ user_pubkey: pubkey, session_type: "p2p_transfer", intent_data: intent })
    const { challenge } = yield* s.issueChallenge(session.session_id)
    prepared.push({ id: session.session_id, signature: bytesToHex(ecc.signSchnorr(challengeMessage(challenge.challenge_data), sk)) })
  }
  yield* timed("SessionService.respond (memory store)", N, Effect.forEach(prepared, (p) => s.respond(p.id, { signature: p.signature }), { discard: true }))
}).pipe(
  Effect.provide(Sessions.layer({ sessionTtlMs: 3_600_000, challengeTtlMs: 600_000 }).pipe(
    Layer.provide([MemorySessions.layer, Libsecp.layer, Layer.effect(GatewaySigner, GatewayKey.make(schnorr.utils.randomSecretKey()))])
  ))
)

const wholeApp = Effect.scoped(Effect.gen(function*() {
  const { handle } = yield* inProcessApp()
  const post = async (path: string, body?: unknown) => {
    const r = await handle(new Request(`http://x${path}`, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) }))
    return (await r.json()) as Record<string, string>
  }
  const reqs = yield* Effect.promise(async () => {
    const out: Array<() => Request> = []
    for (let i = 0; i < N; i++) {
      const s = await post("/sessions/create", { user_pubkey: pubkey, session_type: "p2p_transfer", intent_data: intent })
      const c = await post(`/sessions/${s["session_id"]}/challenge`)
      const signature = bytesToHex(ecc.signSchnorr(hexToBytes(c["message_hash"]!), sk))
      out.push(() =>
        new Request(`http://x/sessions/${s["session_id"]}/respond`, {
          method: "POST",
          body: JSON.stringify({ signature }),
          headers: { "content-type": "application/json" }
        })
      )
    }
    return out
  })
  yield* timed("whole HTTP app, no sockets (toWebHandler)", N, Effect.promise(async () => {
    let ok = 0
    for (const r of reqs) if ((await handle(r())).status === 200) ok++
    if (ok !== N) throw new Error(`${N - ok} responds failed`)
  }))
}))

Effect.runPromise(
  Effect.all([verifierOnly, useCase, wholeApp], { discard: true }).pipe(
    Effect.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
