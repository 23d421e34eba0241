import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import fc from "fast-check"
import { LogBuffer, LogBufferLive, makeLogBuffer, makeScrubber, REDACTED } from "../../../apps/ops/logging.js"

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))

describe("log scrubbing", () => {
  it("a configured secret never survives, wherever it sits in a line", () =>
    fc.assert(
      fc.property(fc.string({ minLength: 6, maxLength: 40 }).filter((s) => s.trim() === s && !/[\\"]/.test(s)), fc.string(), fc.string(), (secret, before, after) => {
        const scrub = makeScrubber([secret])
        const line = scrub.string(`${before}${secret}${after}`)
        // Replacing may join the halves into the secret again only if they contain it themselves.
        if (!`${before}${after}`.includes(secret) && !(before + REDACTED + after).includes(secret)) expect(line).not.toContain(secret)
        const value = JSON.stringify(scrub.value({ note: `${before}${secret}`, nested: [{ deep: secret }] }))
        if (!before.includes(secret) && !(before + REDACTED).includes(secret)) expect(value).not.toContain(secret)
      }),
      { numRuns: 500 }
    ))

  it("signatures (64-byte hex), JWTs, secret-named fields and ?admin_key= are masked without any configuration", () =>
    fc.assert(
      fc.property(hex(128), hex(64), (sig, key) => {
        const scrub = makeScrubber([])
        expect(scrub.string(`signature=${sig} ok`)).toBe(`signature=${REDACTED} ok`)
        expect(scrub.string(`GET /admin/alerts?admin_key=${key}&x=1`)).toBe(`GET /admin/alerts?admin_key=${REDACTED}&x=1`)
        expect(scrub.value({ private_key: key, user_pubkey: key, sig })).toEqual({ private_key: REDACTED, user_pubkey: key, sig: REDACTED })
        // A 32-byte key or a pubkey alone is not a signature: left readable.
        expect(scrub.string(key)).toBe(key)
      })
    ))

  it("masks a JWT", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiYWxpY2UifQ.c2lnbmF0dXJlLWJ5dGVz"
    expect(makeScrubber([]).string(`Bearer ${jwt}`)).toBe(`Bearer ${REDACTED}`)
  })
})

describe("log buffer", () => {
  it("keeps the newest entries up to its capacity, oldest first, filtered by level", () =>
    fc.assert(
      fc.property(fc.array(fc.constantFrom("DEBUG", "INFO", "WARN", "ERROR"), { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (levels, capacity) => {
        const buffer = makeLogBuffer(makeScrubber([]), capacity)
        levels.forEach((level, i) => buffer.push({ timestamp: String(i), level, message: i, annotations: {} }))
        const all = buffer.recent({ limit: 1000, minimumLevel: LogLevel.All })
        expect(all.map((e) => e.message)).toEqual(levels.map((_, i) => i).slice(-capacity))
        const warnings = buffer.recent({ limit: 1000, minimumLevel: LogLevel.Warning })
        expect(warnings.every((e) => e.level === "WARN" || e.level === "ERROR")).toBe(true)
        expect(buffer.recent({ limit: 2, minimumLevel: LogLevel.All })).toEqual(all.slice(-2))
      })
    ))

  it.effect("is fed by Effect's logger, scrubbed, with annotations", () =>
    Effect.gen(function*() {
      const buffer = yield* LogBuffer
      yield* Effect.logWarning("paid", { signature: "x" }).pipe(Effect.annotateLogs({ request_id: "r1", admin_key: "k" }))
      const [entry] = buffer.recent({ limit: 1, minimumLevel: LogLevel.All })
      expect(entry).toMatchObject({ level: "WARN", annotations: { request_id: "r1", admin_key: REDACTED } })
      expect(JSON.stringify(entry!.message)).not.toContain('"x"')
    }).pipe(Effect.provide(Layer.merge(LogBufferLive, Logger.minimumLogLevel(LogLevel.All)))))
})
