import { describe, expect, it } from "@effect/vitest"
import type { KeyringPair } from "@polkadot/keyring/types"
import { Cause, Effect, Exit, FiberRef, Layer, Option, Redacted, TestClock, Tracer } from "effect"
import * as Wasm from "../../../adapters/crypto/sr25519-wasm.js"
import * as Zipcodes from "../../../adapters/file/zipcodes.js"
import * as MemoryStore from "../../../adapters/memory/epoch-store.js"
import * as MemoryMetagraph from "../../../adapters/memory/metagraph.js"
import * as MemoryLimiter from "../../../adapters/memory/rate-limiter.js"
import * as MemoryGuard from "../../../adapters/memory/replay-guard.js"
import * as S3 from "../../../adapters/s3/upload-grants.js"
import { epochNonce, selectionSeed } from "../../../core/epochs/assignment.js"
import { epochAt, EPOCH_MS } from "../../../core/epochs/clock.js"
import { Commitments } from "../../../core/epochs/commitments.js"
import { toleranceBounds } from "../../../core/epochs/selection.js"
import { EpochService } from "../../../core/epochs/service.js"
import { defaultSettings, EpochsSettings, type EpochsSettingsShape } from "../../../core/epochs/settings.js"
import { EpochStore } from "../../../ports/epoch-store.js"
import { Metagraph } from "../../../ports/metagraph.js"
import { CurrentRateLimit, RateLimiter } from "../../../ports/rate-limiter.js"
import { ReplayGuard } from "../../../ports/replay-guard.js"
import { Sr25519Verifier } from "../../../ports/sr25519-verifier.js"
import type { ZipcodeCatalogue } from "../../../ports/zipcode-catalogue.js"
import { devPair, entry, signHex, signWrappedHex } from "../../support/epochs.js"

const SECRET = "test-epoch-secret"
const T0 = Date.parse("2025-10-01T17:00:00.000Z")
const miner = devPair("//Miner1")
const miner2 = devPair("//Miner2")
const validator = devPair("//Validator1")
const cold = devPair("//Cold1")
const stranger = devPair("//Stranger")

const racers = Array.from({ length: 12 }, (_, i) => devPair(`//Racer${i}`))

const neurons = [
  { hotkey: miner.address, coldkey: cold.address, validatorPermit: false },
  { hotkey: miner2.address, validatorPermit: false },
  { hotkey: validator.address, validatorPermit: true },
  ...racers.map((r) => ({ hotkey: r.address, validatorPermit: false }))
]

/** Every port call the auth gate makes, in order: the test of "cheapest first". */
const calls: Array<string> = []
const recorded = Layer.effect(
  RateLimiter,
  Effect.map(MemoryLimiter.make, (l) => RateLimiter.of({ consume: (k, n, w) => Effect.zipRight(Effect.sync(() => calls.push("rateLimit")), l.consume(k, n, w)) }))
).pipe(
  Layer.merge(Layer.effect(
    ReplayGuard,
    Effect.map(MemoryGuard.make, (g) => ReplayGuard.of({ claim: (k, t) => Effect.zipRight(Effect.sync(() => calls.push("replay")), g.claim(k, t)) }))
  )),
  Layer.merge(Layer.effect(
    Metagraph,
    Effect.map(MemoryMetagraph.make(neurons), (m) => Metagraph.of({ lookup: (h) => Effect.zipRight(Effect.sync(() => calls.push("metagraph")), m.lookup(h)) }))
  )),
  Layer.merge(Layer.effect(
    Sr25519Verifier,
    Effect.map(Wasm.make, (v) => Sr25519Verifier.of({ verify: (s, m, p) => Effect.zipRight(Effect.sync(() => calls.push("verify")), v.verify(s, m, p)) }))
  ))
)

interface TestOptions {
  readonly settings?: Partial<EpochsSettingsShape>
  readonly catalogue?: Layer.Layer<ZipcodeCatalogue, unknown>
  readonly store?: Layer.Layer<EpochStore>
}

const testLayer = (o: TestOptions) =>
  EpochService.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(
      o.store ?? MemoryStore.layer,
      recorded,
      o.catalogue ?? Zipcodes.layerDemo,
      S3.layer(S3.devSettings),
      EpochsSettings.layer({ ...defaultSettings(Redacted.make(SECRET)), ...o.settings })
    ))
  )

const run = <A, E>(effect: Effect.Effect<A, E, EpochService | EpochStore>, options: TestOptions = {}) =>
  Effect.gen(function*() {
    calls.length = 0
    yield* TestClock.setTime(T0)
    return yield* effect
  }).pipe(Effect.provide(testLayer(options)))

/** A memory store that yields after every read, so racing first requests all see "no epoch yet". */
const claims: Array<boolean> = []
const slowStore = Layer.effect(
  EpochStore,
  Effect.map(MemoryStore.make, (s) =>
    EpochStore.of({
      ...s,
      get: (id) => Effect.zipLeft(s.get(id), Effect.sleep(1)),
      claim: (e) => Effect.tap(s.claim(e), (r) => Effect.sync(() => claims.push(r.created)))
    }))
)

/** Spans as a tracing backend would receive them: name, parent and, once ended, the failure if any. */
const recordSpans = () => {
  const spans: Array<{ name: string; spanId: string; parentId: string | undefined; ended: boolean; failure: unknown }> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const record = {
        name,
        spanId: `span-${spans.length}`,
        parentId: Option.isSome(parent) ? parent.value.spanId : undefined,
        ended: false,
        failure: undefined as unknown
      }
      spans.push(record)
      const attributes = new Map<string, unknown>()
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      return {
        _tag: "Span",
        name,
        spanId: record.spanId,
        traceId: "trace",
        parent,
        context,
        links,
        sampled: true,
        kind,
        attributes,
        get status() {
          return status
        },
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
          record.ended = true
          record.failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
        },
        attribute: (key, value) => void attributes.set(key, value),
        event: () => undefined,
        addLinks: () => undefined
      }
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

const nowSeconds = Effect.map(TestClock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

const signed = (pair: KeyringPair, commitment: (ts: number) => string, tsOffset = 0) =>
  Effect.map(nowSeconds, (now) => {
    const timestamp = now + tsOffset
    return { hotkey: pair.address, signature: signHex(pair, commitment(timestamp)), timestamp }
  })

const current = (pair: KeyringPair, tsOffset = 0) =>
  Effect.flatMap(EpochService, (s) => Effect.flatMap(signed(pair, Commitments.currentAssignment, tsOffset), s.current))

describe("EpochService.current", () => {
  it.effect("assigns the current epoch: demo zipcodes within target ± tolerance, nonce from EPOCH_SECRET", () =>
    run(Effect.gen(function*() {
      const epoch = yield* current(miner)
      const window = epochAt(T0)
      expect(epoch).toMatchObject({ id: "2025-10-01T16-00-00", start: window.start, end: window.end, targetListings: 10_000, tolerancePercent: 10 })
      const [lower, upper] = toleranceBounds(epoch)
      expect(epoch.totalExpectedListings).toBeGreaterThanOrEqual(lower)
      expect(epoch.totalExpectedListings).toBeLessThanOrEqual(upper)
      expect(epoch.selectionSeed).toBe(selectionSeed(SECRET, epoch.id))
      expect(epoch.nonce).toBe(epochNonce(SECRET, epoch.id, epoch.start, epoch.zipcodes.map((z) => z.zipcode)))
      expect(epoch.nonce).toMatch(/^[0-9a-f]{16}$/)
      // A later request in the same epoch gets the very same assignment.
      yield* TestClock.adjust(3_600_000)
      expect(yield* current(miner2)).toEqual(epoch)
    })))

  it.effect("concurrent first requests create the assignment once", () =>
    run(Effect.gen(function*() {
      claims.length = 0
      const results = yield* Effect.all(racers.map((p) => current(p)), { concurrency: "unbounded" }).pipe(
        Effect.fork,
        Effect.tap(() => TestClock.adjust(1)),
        Effect.flatMap((f) => f.await),
        Effect.flatten
      )
      // Every racer computed an assignment and tried to store it; one was stored, all got it.
      expect(claims).toHaveLength(racers.length)
      expect(claims.filter(Boolean)).toHaveLength(1)
      expect(new Set(results.map((e) => e.nonce)).size).toBe(1)
      expect(yield* Effect.flatMap(EpochStore, (s) => s.list({}))).toHaveLength(1)
    }), { store: slowStore }))

  it.effect("is the same assignment after a restart with the same secret (deterministic selection)", () =>
    Effect.gen(function*() {
      const a = yield* run(current(miner))
      const b = yield* run(current(miner2))
      expect(b).toEqual(a)
      const other = yield* run(current(miner), { settings: { epochSecret: Redacted.make("another-secret") } })
      expect(other.nonce).not.toBe(a.nonce)
    }))

  it.effect("never reassigns a zipcode within 24 h, epoch after epoch", () =>
    run(Effect.gen(function*() {
      const epochs = []
      for (let i = 0; i < 12; i++) {
        epochs.push(yield* current(miner))
        yield* TestClock.adjust(EPOCH_MS)
      }
      for (let i = 0; i < epochs.length; i++) {
        for (let j = Math.max(0, i - 5); j < i; j++) {
          const earlier = new Set(epochs[j]!.zipcodes.map((z) => z.zipcode))
          expect(epochs[i]!.zipcodes.filter((z) => earlier.has(z.zipcode))).toEqual([])
        }
        const [lower, upper] = toleranceBounds(epochs[i]!)
        expect(epochs[i]!.totalExpectedListings).toBeGreaterThanOrEqual(lower)
        expect(epochs[i]!.totalExpectedListings).toBeLessThanOrEqual(upper)
      }
    })))

  it.effect("answers NoCurrentEpoch when the catalogue has nothing eligible", () =>
    run(
      Effect.gen(function*() {
        expect(yield* current(miner).pipe(Effect.flip)).toMatchObject({ _tag: "NoCurrentEpoch", epochId: "2025-10-01T16-00-00" })
      }),
      { catalogue: Zipcodes.layerEntries([entry("19103", 50), entry("19104", 5000)]) }
    ))
})

describe("signed-request gate", () => {
  it.effect("accepts 0x-prefixed and <Bytes>-wrapped signatures", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const ts = yield* nowSeconds
      const commitment = Commitments.currentAssignment(ts)
      yield* service.current({ hotkey: miner.address, signature: `0x${signHex(miner, commitment)}`, timestamp: ts })
      yield* service.current({ hotkey: miner.address, signature: signWrappedHex(miner, commitment), timestamp: ts })
    })))

  it.effect("rejects a bad signature, another key's signature and the wrong commitment with InvalidSignature", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const ts = yield* nowSeconds
      const good = signHex(miner, Commitments.currentAssignment(ts))
      const tampered = (good[0] === "0" ? "1" : "0") + good.slice(1)
      for (
        const signature of [tampered, signHex(miner2, Commitments.currentAssignment(ts)), signHex(miner, Commitments.validatorUpload(ts))]
      ) {
        expect(yield* service.current({ hotkey: miner.address, signature, timestamp: ts }).pipe(Effect.flip)).toMatchObject({ _tag: "InvalidSignature" })
      }
    })))

  it.effect("a signature is accepted once, whatever its spelling", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const req = yield* signed(miner, Commitments.currentAssignment)
      yield* service.current(req)
      for (const signature of [req.signature, `0x${req.signature}`, req.signature.toUpperCase()]) {
        expect(yield* service.current({ ...req, signature }).pipe(Effect.flip)).toMatchObject({ _tag: "SignatureReused" })
      }
    })))

  it.effect("stale or future timestamps beyond ±5 min are StaleTimestamp; out-of-range ones are field errors", () =>
    run(Effect.gen(function*() {
      expect(yield* current(miner, -301).pipe(Effect.flip)).toMatchObject({ _tag: "StaleTimestamp" })
      expect(yield* current(miner, 301).pipe(Effect.flip)).toMatchObject({ _tag: "StaleTimestamp" })
      yield* current(miner, -300)
      yield* current(miner, 300)
      const service = yield* EpochService
      const e = yield* service.current({ hotkey: "5Bad", signature: "zz", timestamp: 2_147_483_648 }).pipe(Effect.flip)
      expect(e).toMatchObject({
        _tag: "InvalidRequest",
        messages: [
          "hotkey must be a valid SS58 address (network prefix 42)",
          "signature must be a hex-encoded 64-byte sr25519 signature",
          "timestamp must not be greater than 2147483647"
        ]
      })
    })))

  it.effect("unregistered hotkeys are HotkeyNotRegistered; miners on validator routes ValidatorPermitRequired", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      expect(yield* current(stranger).pipe(Effect.flip)).toMatchObject({ _tag: "HotkeyNotRegistered", hotkey: stranger.address })
      const req = yield* signed(miner, Commitments.validatorUpload)
      expect(yield* service.validatorUpload({ ...req, epochId: "2025-10-01T16-00-00" }).pipe(Effect.flip)).toMatchObject({
        _tag: "ValidatorPermitRequired"
      })
    })))

  it.effect("runs the cheapest checks first and verifies the signature last", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const stale = yield* signed(miner, Commitments.currentAssignment, -1000)
      yield* Effect.flip(service.current(stale))
      expect(calls).toEqual([])
      yield* Effect.flip(service.current({ ...stale, hotkey: "nope" }))
      expect(calls).toEqual([])
      yield* Effect.flip(current(stranger))
      expect(calls).toEqual(["rateLimit", "metagraph"])
      calls.length = 0
      const ok = yield* signed(miner, Commitments.currentAssignment)
      yield* service.current(ok)
      expect(calls).toEqual(["rateLimit", "metagraph", "replay", "verify"])
      calls.length = 0
      yield* Effect.flip(service.current(ok))
      expect(calls).toEqual(["rateLimit", "metagraph", "replay"])
    })))

  it.effect("rate limits per hotkey (10/min on current), reporting the decision for the edge's headers", () =>
    run(Effect.gen(function*() {
      for (let i = 0; i < 10; i++) {
        yield* current(miner)
        expect(yield* FiberRef.get(CurrentRateLimit)).toEqual(Option.some({ allowed: true, limit: 10, remaining: 9 - i, resetAt: T0 + 60_000 }))
      }
      const e = yield* current(miner).pipe(Effect.flip)
      expect(e).toMatchObject({ _tag: "RateLimited", limit: 10, resetAt: T0 + 60_000, retryAfterSeconds: 60 })
      expect(yield* FiberRef.get(CurrentRateLimit)).toEqual(Option.some({ allowed: false, limit: 10, remaining: 0, resetAt: T0 + 60_000 }))
      yield* current(miner2)
      yield* TestClock.adjust(60_000)
      yield* current(miner)
    })))

  it.effect("past its limit a hotkey is refused by the gate alone until the window ends, with the limiter's decision", () =>
    run(Effect.gen(function*() {
      for (let i = 0; i < 10; i++) yield* current(miner)
      expect(yield* current(miner).pipe(Effect.flip)).toMatchObject({ _tag: "RateLimited", retryAfterSeconds: 60 })
      calls.length = 0
      yield* TestClock.adjust(30_000)
      const again = yield* current(miner).pipe(Effect.flip)
      // No port asked: on Redis, a client hammering past its limit costs no round trip.
      expect(calls).toEqual([])
      expect(again).toMatchObject({ _tag: "RateLimited", limit: 10, windowMs: 60_000, resetAt: T0 + 60_000, retryAfterSeconds: 30 })
      expect(yield* FiberRef.get(CurrentRateLimit)).toEqual(Option.some({ allowed: false, limit: 10, remaining: 0, resetAt: T0 + 60_000 }))
      yield* TestClock.adjust(30_000)
      yield* current(miner)
      expect(calls).toEqual(["rateLimit", "metagraph", "replay", "verify"])
      expect(yield* FiberRef.get(CurrentRateLimit)).toEqual(Option.some({ allowed: true, limit: 10, remaining: 9, resetAt: T0 + 120_000 }))
    })))

  it.effect("each call is one EpochAuth.authenticate span, refused or not, and the ports' spans are inside it", () =>
    run(Effect.gen(function*() {
      const { spans, tracer } = recordSpans()
      const gateSpans = () => spans.filter((s) => s.name === "EpochAuth.authenticate")

      yield* current(miner, -1000).pipe(Effect.flip, Effect.withTracer(tracer))
      expect(gateSpans()).toHaveLength(1)
      const [refused] = gateSpans()
      expect(refused!.ended).toBe(true)
      expect(refused!.failure).toMatchObject({ _tag: "StaleTimestamp" })
      expect(spans.filter((s) => s.parentId === refused!.spanId)).toEqual([])

      spans.length = 0
      yield* current(miner).pipe(Effect.withTracer(tracer))
      expect(gateSpans()).toHaveLength(1)
      const [gate] = gateSpans()
      expect(gate!.ended).toBe(true)
      expect(gate!.failure).toBeUndefined()
      expect(gate!.parentId).toBe(spans.find((s) => s.name === "EpochService.current")?.spanId)
      const under = (s: (typeof spans)[number], ancestor: string): boolean => {
        const parent = spans.find((p) => p.spanId === s.parentId)
        return parent !== undefined && (parent.spanId === ancestor || under(parent, ancestor))
      }
      const ports = ["RateLimiter.consume", "Metagraph.lookup", "ReplayGuard.claim", "Sr25519Verifier.verify"]
      expect(spans.filter((s) => ports.includes(s.name) && under(s, gate!.spanId)).map((s) => s.name)).toEqual([
        "RateLimiter.consume",
        "Metagraph.lookup",
        "ReplayGuard.claim",
        "Sr25519Verifier.verify"
      ])
    })))

  it.effect("RATE_LIMIT_ENABLED=false turns limiting off", () =>
    run(
      Effect.gen(function*() {
        for (let i = 0; i < 15; i++) yield* current(miner)
        expect(yield* FiberRef.get(CurrentRateLimit)).toEqual(Option.none())
        expect(calls).not.toContain("rateLimit")
      }),
      { settings: { rateLimitEnabled: false } }
    ))
})

describe("EpochService.postStatus", () => {
  const post = (pair: KeyringPair, body: { epochId: string; nonce: string; status: string } & Record<string, unknown>, legacy = false) =>
    Effect.gen(function*() {
      const service = yield* EpochService
      const ts = yield* nowSeconds
      const commitment = legacy ? Commitments.zipcodeStatus(body.epochId, ts) : Commitments.minerStatus(pair.address, body.epochId, ts)
      return yield* service.postStatus({ hotkey: pair.address, signature: signHex(pair, commitment), timestamp: ts, ...body })
    })

  it.effect("records progress and completion with the epoch's nonce, under either commitment form", () =>
    run(Effect.gen(function*() {
      const epoch = yield* current(miner)
      const z = epoch.zipcodes[0]!.zipcode
      const first = yield* post(miner, { epochId: epoch.id, nonce: epoch.nonce, status: "IN_PROGRESS", listingsScraped: 100 })
      expect(first).toMatchObject({ status: "IN_PROGRESS", listingsScraped: 100, updates: 1, updatedAt: T0 })
      yield* TestClock.adjust(1000)
      const done = yield* post(miner, {
        epochId: epoch.id,
        nonce: epoch.nonce,
        status: "completed",
        listingsScraped: 1250,
        zipcodesCompleted: [{ zipcode: z, listingsScraped: 245, completedAt: T0 + 500 }],
        s3UploadComplete: true,
        s3UploadTimestamp: T0 + 900
      }, true)
      expect(done).toMatchObject({
        status: "COMPLETED",
        listingsScraped: 1250,
        zipcodesCompleted: [{ zipcode: z, listingsScraped: 245, completedAt: T0 + 500 }],
        s3UploadComplete: true,
        s3UploadTimestamp: T0 + 900,
        updates: 2
      })
      yield* TestClock.adjust(1000)
      expect(yield* post(miner, { epochId: epoch.id, nonce: epoch.nonce, status: "IN_PROGRESS" }).pipe(Effect.flip)).toMatchObject({
        _tag: "InvalidStatusTransition"
      })
    })))

  it.effect("rejects a wrong nonce, an unknown epoch, a passed deadline and malformed fields", () =>
    run(Effect.gen(function*() {
      const epoch = yield* current(miner)
      expect(yield* post(miner, { epochId: epoch.id, nonce: "0000000000000000", status: "IN_PROGRESS" }).pipe(Effect.flip)).toMatchObject({
        _tag: "NonceMismatch"
      })
      expect(yield* post(miner, { epochId: "2025-09-01T00-00-00", nonce: epoch.nonce, status: "IN_PROGRESS" }).pipe(Effect.flip))
        .toMatchObject({ _tag: "EpochNotFound" })
      const bad = yield* post(miner, { epochId: "yesterday", nonce: "", status: "DONE", listingsScraped: -1 }).pipe(Effect.flip)
      expect(bad).toMatchObject({
        _tag: "InvalidRequest",
        messages: [
          "epochId must look like 2025-10-01T16-00-00 (UTC, hour 00/04/08/12/16/20)",
          "nonce should not be empty",
          "status must be one of the following values: IN_PROGRESS, COMPLETED, FAILED, TIMEOUT",
          "listingsScraped must not be less than 0"
        ]
      })
      yield* TestClock.setTime(epoch.end)
      expect(yield* post(miner, { epochId: epoch.id, nonce: epoch.nonce, status: "TIMEOUT" }).pipe(Effect.flip)).toMatchObject({
        _tag: "SubmissionClosed"
      })
    })))
})

describe("EpochService upload grants", () => {
  it.effect("folder access: the miner's folder, the current epoch in the key, expiry capped at 24 h", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const ts = yield* nowSeconds
      const signature = signHex(miner, Commitments.folderAccess(cold.address, miner.address, ts))
      const grant = yield* service.folderAccess({ hotkey: miner.address, coldkey: cold.address, signature, timestamp: ts, expiry: ts + 3600 })
      expect(grant).toMatchObject({
        bucket: S3.devSettings.minerBucket,
        folderPath: `data/hotkey=${miner.address}/`,
        epochId: "2025-10-01T16-00-00",
        expiresAt: T0 + 3_600_000,
        maxFileSizeBytes: 100 * 1024 * 1024
      })
      expect(grant.fields["key"]).toBe(`data/hotkey=${miner.address}/epoch=2025-10-01T16-00-00/timestamp=${ts}/`)
      const ts2 = ts + 1
      const long = yield* service.folderAccess({
        hotkey: miner.address,
        coldkey: cold.address,
        signature: signHex(miner, Commitments.folderAccess(cold.address, miner.address, ts2)),
        timestamp: ts2,
        expiry: ts2 + 7 * 86_400
      })
      expect(long.expiresAt).toBe(T0 + 86_400_000)
    })))

  it.effect("folder access: a coldkey the metagraph does not pair with the hotkey is refused; past expiry is a field error", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const ts = yield* nowSeconds
      const other = devPair("//Cold2").address
      expect(
        yield* service.folderAccess({
          hotkey: miner.address,
          coldkey: other,
          signature: signHex(miner, Commitments.folderAccess(other, miner.address, ts)),
          timestamp: ts
        }).pipe(Effect.flip)
      ).toMatchObject({ _tag: "ColdkeyMismatch" })
      expect(
        yield* service.folderAccess({
          hotkey: miner.address,
          coldkey: cold.address,
          signature: signHex(miner, Commitments.folderAccess(cold.address, miner.address, ts)),
          timestamp: ts,
          expiry: ts - 1
        }).pipe(Effect.flip)
      ).toMatchObject({ _tag: "InvalidRequest", messages: ["expiry must be in the future"] })
      // miner2 has no coldkey on record: any well-formed coldkey is accepted.
      yield* service.folderAccess({
        hotkey: miner2.address,
        coldkey: other,
        signature: signHex(miner2, Commitments.folderAccess(other, miner2.address, ts)),
        timestamp: ts
      })
    })))

  it.effect("validator upload: validators get a key under validators/<hotkey>/<epoch>/validation_results/", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const req = yield* signed(validator, Commitments.validatorUpload)
      const grant = yield* service.validatorUpload({ ...req, epochId: "2025-10-01T12-00-00", purpose: "epoch_validation_results", estimatedDataSizeMb: 25, retentionDays: 90 })
      expect(grant).toMatchObject({
        bucket: S3.devSettings.validatorBucket,
        folderPath: `validators/${validator.address}/`,
        expiresAt: T0 + 4 * 3_600_000,
        supportedFormats: ["parquet", "csv", "json"]
      })
      expect(grant.fields["key"]).toBe(`validators/${validator.address}/2025-10-01T12-00-00/validation_results/${req.timestamp}/`)
      const future = yield* signed(validator, Commitments.validatorUpload, 1)
      expect(yield* service.validatorUpload({ ...future, epochId: "2025-10-01T20-00-00" }).pipe(Effect.flip)).toMatchObject({
        _tag: "InvalidRequest",
        messages: ["epochId must not name a future epoch"]
      })
      const tooBig = yield* signed(validator, Commitments.validatorUpload, 2)
      expect(yield* service.validatorUpload({ ...tooBig, epochId: "2025-10-01T12-00-00", estimatedDataSizeMb: 101 }).pipe(Effect.flip))
        .toMatchObject({ _tag: "InvalidRequest", messages: ["estimatedDataSizeMb must not be greater than 100"] })
    })))
})

describe("EpochService.epoch and stats", () => {
  const fetchEpoch = (pair: KeyringPair, epochId: string) =>
    Effect.gen(function*() {
      const service = yield* EpochService
      const req = yield* signed(pair, (ts) => Commitments.epochValidation(epochId, ts))
      return yield* service.epoch({ ...req, epochId })
    })

  it.effect("validators fetch past epochs; miners may not; unknown epochs are EpochNotFound", () =>
    run(Effect.gen(function*() {
      const epoch = yield* current(miner)
      expect(yield* fetchEpoch(validator, epoch.id)).toEqual({ epoch, status: "ACTIVE" })
      yield* TestClock.adjust(EPOCH_MS)
      expect(yield* fetchEpoch(validator, epoch.id)).toEqual({ epoch, status: "COMPLETED" })
      expect(yield* fetchEpoch(miner, epoch.id).pipe(Effect.flip)).toMatchObject({ _tag: "ValidatorPermitRequired" })
      expect(yield* fetchEpoch(validator, "2025-09-01T00-00-00").pipe(Effect.flip)).toMatchObject({ _tag: "EpochNotFound" })
    })))

  it.effect("stats: current epoch, catalogue distributions and recent epochs, 30/min per client", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      yield* current(miner)
      yield* TestClock.adjust(EPOCH_MS)
      const stats = yield* service.stats("203.0.113.7")
      const cur = Option.getOrThrow(stats.current)
      expect(cur.id).toBe("2025-10-01T20-00-00")
      expect(stats.window).toEqual(epochAt(T0 + EPOCH_MS))
      expect(stats.next.start).toBe(stats.window.end)
      expect(stats.catalogue).toMatchObject({ total: 68, active: 64 })
      expect(stats.catalogue.byTier.map((t) => t.key)).toEqual(["PREMIUM", "STANDARD", "EMERGING"])
      expect(stats.catalogue.byState.reduce((a, s) => a + s.count, 0)).toBe(68)
      expect(stats.recent.map((r) => [r.epoch.id, r.status])).toEqual([["2025-10-01T20-00-00", "ACTIVE"], ["2025-10-01T16-00-00", "COMPLETED"]])
      for (let i = 1; i < 30; i++) yield* service.stats("203.0.113.7")
      expect(yield* service.stats("203.0.113.7").pipe(Effect.flip)).toMatchObject({ _tag: "RateLimited", limit: 30 })
      yield* service.stats("198.51.100.1")
    })))

  it.effect("the rollover job assigns the epoch without a request", () =>
    run(Effect.gen(function*() {
      const service = yield* EpochService
      const epoch = yield* service.ensureCurrentEpoch()
      expect(epoch.id).toBe("2025-10-01T16-00-00")
      expect(yield* current(miner)).toEqual(epoch)
    })))
})
