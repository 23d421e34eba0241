import { Clock, Effect, Either, FiberRef, Option } from "effect"
import { CurrentRateLimit, RateLimiter } from "../../ports/rate-limiter.js"
import { Metagraph, type Neuron } from "../../ports/metagraph.js"
import { ReplayGuard } from "../../ports/replay-guard.js"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { utf8 } from "../shared/hash.js"
import { checkFreshness, parseSignedRequest, replayKey, replayTtl, type SignedParts, type SignedRequest } from "./auth.js"
import {
  HotkeyNotRegistered,
  InvalidRequest,
  InvalidSignature,
  RateLimited,
  SignatureReused,
  ValidatorPermitRequired
} from "./errors.js"
import { EpochsSettings, type RateLimitRule } from "./settings.js"

export type Role = "miner" | "validator"

export interface AuthSpec {
  readonly request: SignedRequest
  /** Problems with the request's other fields; reported in the same 400 as the signed fields'. */
  readonly fieldMessages: ReadonlyArray<string>
  /** The strings the signature may be over, tried in order. */
  readonly commitments: (parts: SignedParts) => ReadonlyArray<string>
  /** Rate-limit bucket name (per hotkey) and its rule. */
  readonly rateLimit: readonly [name: string, rule: RateLimitRule]
  readonly role: Role
}

export interface Authenticated {
  readonly parts: SignedParts
  readonly neuron: Neuron
  /** Server time the request was judged at, epoch ms. */
  readonly now: number
}

/**
 * The signed-request gate every authenticated epochs route passes. Cheapest
 * check first, and nothing a request can change happens before the signature
 * verified: format → timestamp range → skew → rate limit → metagraph →
 * replay claim → sr25519.
 */
export const makeEpochAuth = Effect.gen(function*() {
  const limiter = yield* RateLimiter
  const guard = yield* ReplayGuard
  const metagraph = yield* Metagraph
  const verifier = yield* Sr25519Verifier
  const settings = yield* EpochsSettings

  // No call-site stack on these spans: a refusal would pay for formatting it (source-mapped under tsx),
  // and refusals must stay far cheaper than a verification (bench row 5).

  /** Count one request against `key`; the decision is left in CurrentRateLimit for the edge's headers. */
  const rateLimit = Effect.fn("EpochAuth.rateLimit", { captureStackTrace: false })(function*(key: string, rule: RateLimitRule) {
    if (!settings.rateLimitEnabled) return
    const decision = yield* limiter.consume(key, rule.limit, rule.windowMs)
    yield* FiberRef.set(CurrentRateLimit, Option.some(decision))
    if (!decision.allowed) {
      const now = yield* Clock.currentTimeMillis
      return yield* new RateLimited({
        limit: decision.limit,
        windowMs: rule.windowMs,
        resetAt: decision.resetAt,
        retryAfterSeconds: Math.max(1, Math.ceil((decision.resetAt - now) / 1000))
      })
    }
  })

  const authenticate = Effect.fn("EpochAuth.authenticate", { captureStackTrace: false })(function*(spec: AuthSpec) {
    const parsed = parseSignedRequest(spec.request)
    const messages = [...Either.match(parsed, { onLeft: (m) => m, onRight: () => [] }), ...spec.fieldMessages]
    if (messages.length > 0 || Either.isLeft(parsed)) return yield* new InvalidRequest({ messages })
    const parts = parsed.right
    const now = yield* Clock.currentTimeMillis
    yield* checkFreshness(parts.timestamp, now)

    const [bucket, rule] = spec.rateLimit
    yield* rateLimit(`epochs:${bucket}:${parts.hotkey}`, rule)

    const neuron = yield* metagraph.lookup(parts.hotkey).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail(new HotkeyNotRegistered({ hotkey: parts.hotkey })),
        onSome: Effect.succeed
      }))
    )
    if (spec.role === "validator" && !neuron.validatorPermit) {
      return yield* new ValidatorPermitRequired({ hotkey: parts.hotkey })
    }

    // Claimed before verifying so two concurrent copies cannot both pass; a
    // claim for a forged signature is harmless and expires with its timestamp.
    const first = yield* guard.claim(replayKey(parts), replayTtl(parts.timestamp, now))
    if (!first) return yield* new SignatureReused({ hotkey: parts.hotkey })

    for (const commitment of spec.commitments(parts)) {
      if (yield* verifier.verify(parts.signature, utf8(commitment), parts.publicKey)) {
        return { parts, neuron, now } satisfies Authenticated
      }
    }
    return yield* new InvalidSignature({ hotkey: parts.hotkey })
  })

  return { authenticate, rateLimit }
})
