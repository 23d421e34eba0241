import { sr25519KeypairFromSeed, sr25519Sign, waitReady } from "@polkadot/wasm-crypto"
import { encodeAddress } from "@polkadot/util-crypto"
import { randomBytes } from "node:crypto"
import { Clock, Effect, Layer, Redacted } from "effect"
import * as Sr25519Wasm from "../../adapters/crypto/sr25519-wasm.js"
import * as MemoryMetagraph from "../../adapters/memory/metagraph.js"
import * as MemoryRateLimiter from "../../adapters/memory/rate-limiter.js"
import * as MemoryReplayGuard from "../../adapters/memory/replay-guard.js"
import { makeEpochAuth } from "../../core/epochs/auth.service.js"
import { Commitments } from "../../core/epochs/commitments.js"
import { defaultSettings, EpochsSettings, type RateLimitRule } from "../../core/epochs/settings.js"
import { bytesToHex } from "../../core/shared/hex.js"
import { row } from "../harness.js"

const VERIFIED = 600
const REJECTED = 6_000
const WARM_UP = 1_000

/** The gate every signed epochs route goes through, on the memory adapters and the fast verifier. */
const auth = makeEpochAuth.pipe(
  Effect.provide(Layer.mergeAll(
    MemoryRateLimiter.layer,
    MemoryReplayGuard.layer,
    MemoryMetagraph.layerPermissive,
    Sr25519Wasm.layer,
    EpochsSettings.layer(defaultSettings(Redacted.make("bench-secret")))
  ))
)

const cpuMicros = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

/** CPU µs per call of `one` over `inputs`, each used once (signatures cannot be replayed). */
const perCall = <A, E>(inputs: ReadonlyArray<A>, one: (a: A) => Effect.Effect<unknown, E>) =>
  Effect.gen(function*() {
    const c0 = cpuMicros()
    for (const a of inputs) yield* Effect.either(one(a))
    return (cpuMicros() - c0) / inputs.length
  })

/**
 * Row 5: what a refused request costs the gate against what a verified one
 * costs, both in CPU time in this process: a stale timestamp is refused before
 * the rate limiter, a rate-limited request before the signature.
 */
export const rejections = Effect.gen(function*() {
  yield* Effect.promise(() => waitReady())
  const gate = yield* auth
  const now = yield* Clock.currentTimeMillis
  const timestamp = Math.floor(now / 1000)
  const pair = sr25519KeypairFromSeed(randomBytes(32))
  const hotkey = encodeAddress(pair.slice(64), 42)
  const message = new TextEncoder().encode(Commitments.currentAssignment(timestamp))
  const sign = () => bytesToHex(sr25519Sign(pair.slice(64), pair.slice(0, 64), message))
  const signed = Array.from({ length: VERIFIED }, sign)
  const warmUpSigned = Array.from({ length: WARM_UP }, sign)
  // Refused requests carry well-formed, distinct signatures too: only the check that refuses them differs.
  const unsigned = Array.from({ length: REJECTED }, () => bytesToHex(randomBytes(64)))

  const call = (signature: string, ts: number, rule: RateLimitRule, bucket: string) =>
    gate.authenticate({
      request: { hotkey, signature, timestamp: ts },
      fieldMessages: [],
      commitments: (p) => [Commitments.currentAssignment(p.timestamp)],
      rateLimit: [bucket, rule],
      role: "miner"
    })
  const unlimited: RateLimitRule = { limit: 1_000_000_000, windowMs: 60_000 }
  const exhausted: RateLimitRule = { limit: 1, windowMs: 3_600_000 }
  // Not counted: the first calls through the gate run before V8 has optimised it (about a thousand
  // of them here). The verified side, measured first and over a tenth of the calls, used to absorb
  // most of that warm-up alone: its first half cost twice its second.
  for (const s of warmUpSigned) yield* call(s, timestamp, unlimited, "open").pipe(Effect.orDie)
  for (const s of unsigned.slice(0, WARM_UP)) {
    yield* Effect.either(call(s, timestamp - 600, unlimited, "open"))
    yield* Effect.either(call(s, timestamp, exhausted, "limited"))
  }

  const rounds = 2
  let verified = 0
  let stale = 0
  let limited = 0
  for (let r = 0; r < rounds; r++) {
    const half = signed.slice((r * VERIFIED) / rounds, ((r + 1) * VERIFIED) / rounds)
    verified += yield* perCall(half, (s) =>
      call(s, timestamp, unlimited, "open").pipe(Effect.orDieWith(() => new Error("a valid request was refused"))))
    stale += yield* perCall(unsigned, (s) => call(s, timestamp - 600, unlimited, "open"))
    limited += yield* perCall(unsigned, (s) => call(s, timestamp, exhausted, "limited"))
  }
  verified /= rounds
  stale /= rounds
  limited /= rounds
  const worst = Math.max(stale, limited)
  return row({
    id: 5,
    name: "Refused request cost (stale, rate-limited)",
    ours: { label: `worst of stale ${stale.toFixed(1)} µs, rate-limited ${limited.toFixed(1)} µs`, value: worst, unit: "CPU µs/request" },
    baseline: { label: "verified request through the same gate", value: verified, unit: "CPU µs/request" },
    target: { op: "<=", value: 0.05 }
  })
})
