import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Clock, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { errors, jwtVerify } from "jose"
import { ClearingServiceUnavailable, ServiceUnavailableBody, Unauthorized, UnauthorizedBody } from "./errors.js"

/** Who a valid token says the caller is (Relayooor's JWT claims). */
export interface ClearingUserClaims {
  readonly user_id: string
  readonly wallet_address: string | null
  readonly chain_id: string | null
}

export class ClearingUser extends Context.Tag("relaygate/clearing/User")<ClearingUser, ClearingUserClaims>() {}

/** JWT_SECRET as HS256 key bytes; none → protected routes and the WebSocket answer 503. */
export class JwtKey extends Context.Tag("relaygate/clearing/JwtKey")<JwtKey, Option.Option<Uint8Array>>() {}

export const jwtKeyLayer = (secret: Option.Option<Redacted.Redacted<string>>) =>
  Layer.succeed(JwtKey, Option.map(secret, (s) => new TextEncoder().encode(Redacted.value(s))))

const reasonOf = (e: unknown): string =>
  e instanceof errors.JWTExpired
    ? "the token has expired"
    : e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported
    ? "the token's algorithm is not accepted (HS256 only)"
    : e instanceof errors.JWSSignatureVerificationFailed
    ? "the token's signature does not verify"
    : e instanceof errors.JWTClaimValidationFailed
    ? `the token's ${e.claim} claim is invalid`
    : "the token is malformed"

const optionalString = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null)

/**
 * Verifies an HS256 JWT (with or without a `Bearer ` prefix). Only HS256 is
 * accepted (so `alg: none` and RS256 fail), `exp` is required and checked
 * against the effect Clock, and the token must name its user.
 */
export const verifyToken = (raw: string, key: Option.Option<Uint8Array>) =>
  Effect.gen(function*() {
    if (Option.isNone(key)) {
      return yield* Effect.fail(new ClearingServiceUnavailable({ dependency: "JWT_SECRET", reason: "authentication is not configured on this server" }))
    }
    const token = raw.trim().replace(/^Bearer\s+/i, "")
    if (token === "") return yield* Effect.fail(new Unauthorized({ reason: "no bearer token was sent" }))
    const now = yield* Clock.currentTimeMillis
    const { payload } = yield* Effect.tryPromise({
      try: () => jwtVerify(token, key.value, { algorithms: ["HS256"], requiredClaims: ["exp"], currentDate: new Date(now) }),
      catch: (e) => new Unauthorized({ reason: reasonOf(e) })
    })
    const userId = optionalString(payload["user_id"]) ?? optionalString(payload.sub)
    if (userId === null) return yield* Effect.fail(new Unauthorized({ reason: "the token names no user_id" }))
    return { user_id: userId, wallet_address: optionalString(payload["wallet_address"]), chain_id: optionalString(payload["chain_id"]) } satisfies ClearingUserClaims
  })

/** Bearer JWT on the clearing module's protected routes. */
export class ClearingAuth extends HttpApiMiddleware.Tag<ClearingAuth>()("relaygate/clearing/Auth", {
  failure: Schema.Union(UnauthorizedBody, ServiceUnavailableBody),
  provides: ClearingUser,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

export const ClearingAuthLive = Layer.effect(
  ClearingAuth,
  Effect.map(JwtKey, (key) => ClearingAuth.of({ bearer: (token) => verifyToken(Redacted.value(token), key) }))
)
