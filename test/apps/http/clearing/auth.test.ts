import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { exportSPKI, generateKeyPair, SignJWT } from "jose"
import { generateKeyPairSync } from "node:crypto"
import { inProcessApp } from "../../../support/in-process-app.js"

/**
 * The clearing module's bearer JWTs against the classic attacks: each forged
 * token gets 401 with the clearing error body, and only an honest HS256 token
 * with the configured secret, a future `exp` and a user gets through.
 */

const NOW = Date.UTC(2026, 0, 1)
const SECONDS = Math.floor(NOW / 1000)
const SECRET = "clearing-auth-test-secret-0123456789abcdef"
const PROTECTED = "/api/v1/clearing/operations"

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")
const claims = { user_id: "usr_alice", wallet_address: "osmo1alice", chain_id: "osmosis-1" }

const hs = (o: { secret?: string; alg?: string; exp?: number | null; nbf?: number; extra?: Record<string, unknown>; header?: Record<string, unknown> } = {}) =>
  Effect.promise(() => {
    let jwt = new SignJWT({ ...claims, ...o.extra }).setProtectedHeader({ alg: o.alg ?? "HS256", ...o.header }).setIssuedAt(SECONDS)
    if (o.exp !== null) jwt = jwt.setExpirationTime(o.exp ?? SECONDS + 3_600)
    if (o.nbf !== undefined) jwt = jwt.setNotBefore(o.nbf)
    return jwt.sign(new TextEncoder().encode(o.secret ?? SECRET))
  })

const call = (handle: (r: Request) => Promise<Response>, authorization: string | undefined) =>
  Effect.promise(async () => {
    const res = await handle(new Request(`http://relaygate.test${PROTECTED}`, { headers: authorization === undefined ? {} : { authorization } }))
    return { status: res.status, body: (await res.json()) as any }
  })

const expectRefused = (r: { status: number; body: any }, what: string) => {
  expect(r.status, what).toBe(401)
  expect(r.body.error?.code, what).toBe("UNAUTHORIZED")
  expect(typeof r.body.request_id, what).toBe("string")
}

describe("clearing JWT authentication", () => {
  it.scoped("an honest HS256 token with the configured secret is accepted (the control case)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* inProcessApp({ JWT_SECRET: SECRET })
      const ok = yield* call(app.handle, `Bearer ${yield* hs()}`)
      expect(ok.status).toBe(200)
    }))

  it.scoped("alg none, HS384/HS512, a wrong secret, a tampered payload and an embedded jwk are refused with 401", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* inProcessApp({ JWT_SECRET: SECRET })
      const honest = yield* hs()
      const [h, , sig] = honest.split(".")
      const forged: Record<string, string> = {
        "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, exp: SECONDS + 3_600 })}.`,
        "alg none, upper case": `${b64({ alg: "NONE", typ: "JWT" })}.${b64({ ...claims, exp: SECONDS + 3_600 })}.`,
        "HS384 with the right secret": yield* hs({ alg: "HS384" }),
        "HS512 with the right secret": yield* hs({ alg: "HS512" }),
        "HS256 with another secret": yield* hs({ secret: "another-secret-of-enough-length-0123456789" }),
        "payload swapped to another user, signature kept": `${h}.${b64({ ...claims, user_id: "usr_admin", exp: SECONDS + 3_600 })}.${sig}`,
        "signature stripped": `${h}.${honest.split(".")[1]}.`,
        "embedded jwk naming the attacker's key": yield* hs({
          secret: "attacker-secret-of-enough-length-0123456789",
          header: { jwk: { kty: "oct", k: Buffer.from("attacker-secret-of-enough-length-0123456789").toString("base64url") } }
        })
      }
      for (const [what, token] of Object.entries(forged)) expectRefused(yield* call(app.handle, `Bearer ${token}`), what)
    }))

  it.scoped("HS/RS confusion: an RS256 token whose public key is the HS secret is refused (only HS256 is accepted)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const { privateKey, publicKey } = yield* Effect.promise(() => generateKeyPair("RS256", { extractable: true }))
      const publicPem = yield* Effect.promise(() => exportSPKI(publicKey))
      // The operator (wrongly) configured the RSA public key as the HS256 secret: both readings must fail.
      const app = yield* inProcessApp({ JWT_SECRET: publicPem })
      const rs256 = yield* Effect.promise(() =>
        new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).setIssuedAt(SECONDS).setExpirationTime(SECONDS + 3_600).sign(privateKey)
      )
      expectRefused(yield* call(app.handle, `Bearer ${rs256}`), "RS256 signed with the private key")
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const rs256Other = yield* Effect.promise(() =>
        new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).setExpirationTime(SECONDS + 3_600).sign(other.privateKey)
      )
      expectRefused(yield* call(app.handle, `Bearer ${rs256Other}`), "RS256 signed with an unrelated key")
      // The one token that passes is HS256 keyed with the configured string itself: HMAC, not RSA verification.
      expect((yield* call(app.handle, `Bearer ${yield* hs({ secret: publicPem })}`)).status).toBe(200)
    }))

  it.scoped("expired, not yet valid (nbf), no exp and no user are refused with 401", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* inProcessApp({ JWT_SECRET: SECRET })
      const cases: Record<string, string> = {
        "expired a second ago": yield* hs({ exp: SECONDS - 1 }),
        "not valid for another hour": yield* hs({ nbf: SECONDS + 3_600 }),
        "no exp claim": yield* hs({ exp: null }),
        "no user_id or sub": yield* hs({ extra: { user_id: "" } })
      }
      for (const [what, token] of Object.entries(cases)) expectRefused(yield* call(app.handle, `Bearer ${token}`), what)
      // The same token that was fine becomes expired when the app's clock passes exp.
      const fine = yield* hs({ exp: SECONDS + 60 })
      expect((yield* call(app.handle, `Bearer ${fine}`)).status).toBe(200)
      yield* TestClock.adjust("61 seconds")
      expectRefused(yield* call(app.handle, `Bearer ${fine}`), "after the clock passed exp")
    }))

  it.scoped("missing, empty and malformed Authorization headers are refused with 401", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* inProcessApp({ JWT_SECRET: SECRET })
      for (const header of [undefined, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer ....", `Bearer ${"A".repeat(10_000)}`]) {
        expectRefused(yield* call(app.handle, header), String(header).slice(0, 40))
      }
    }))
})
