import { Clock, Effect, Either, FiberRef, Option } from "effect"
import { Metagraph, type MetagraphUnavailable, type Neuron } from "../../ports/metagraph.js"
import { CurrentRateLimit, type RateLimitDecision, RateLimiter, type RateLimiterUnavailable } from "../../ports/rate-limiter.js"
import { ReplayGuard, type ReplayGuardUnavailable } from "../../ports/replay-guard.js"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { utf8 } from "../shared/hash.js"
import { checkFreshness, parseSignedRequest, replayKey, replayTtl, type SignedParts, type SignedRequest } from "./auth.js"
import {
  HotkeyNotRegistered,
  InvalidRequest,
  InvalidSignature,
  RateLimited,
  SignatureReused,
  type StaleTimestamp,
  ValidatorPermitRequired,
  withoutStack
} from "./errors.js"
import { EpochsSettings, type RateLimitRule } from "./settings.js"

export type Role = "miner" | "validator"

/** Why the gate refused a request. */
export type Refusal =
  | InvalidRequest
  | StaleTimestamp
  | RateLimited
  | HotkeyNotRegistered
  | ValidatorPermitRequired
  | SignatureReused
  | InvalidSignature

type Unavailable = RateLimiterUnavailable | MetagraphUnavailable | ReplayGuardUnavailable

const refuse = <E>(build: () => E): Effect.Effect<never, E> => Effect.fail(withoutStack(build))

const limitKey = (bucket: string, parts: SignedParts) => `epochs:${bucket}:${parts.hotkey}`

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

  // Refusals must stay far cheaper than a verification (bench row 5), and spans are most of what
  // a refusal costs in Effect. Hence no call-site stack on the spans (a refusal would pay for
  // formatting it, source-mapped under tsx), no spans on the gate's own steps (the ports it calls
  // have theirs), refusals built by `withoutStack`, and the span of `authenticate` below.

  // Keys the limiter refused, with its decision. A fixed window that refused stays refused, with the
  // same decision, until it ends (refused requests do not count), so until then the gate answers for
  // the limiter: a client hammering past its limit costs neither a port call nor, on Redis, a round trip.
  const exhausted = new Map<string, { readonly decision: RateLimitDecision; readonly windowMs: number }>()
  const EXHAUSTED_KEYS = 4096

  const knownRefusal = (key: string, rule: RateLimitRule, now: number): RateLimitDecision | undefined => {
    const known = exhausted.get(key)
    if (known === undefined) return undefined
    if (now >= known.decision.resetAt) {
      exhausted.delete(key)
      return undefined
    }
    return known.decision.limit === rule.limit && known.windowMs === rule.windowMs ? known.decision : undefined
  }

  /** The decision goes to CurrentRateLimit, for the edge's headers, whatever it is. */
  const reportDecision = (decision: RateLimitDecision) => FiberRef.set(CurrentRateLimit, Option.some(decision))

  const refuseLimited = (decision: RateLimitDecision, rule: RateLimitRule, now: number) =>
    Effect.zipRight(
      reportDecision(decision),
      refuse(() =>
        new RateLimited({
          limit: decision.limit,
          windowMs: rule.windowMs,
          resetAt: decision.resetAt,
          retryAfterSeconds: Math.max(1, Math.ceil((decision.resetAt - now) / 1000))
        }, true)
      )
    )

  /** Count one request against `key` on the limiter. */
  const count = (key: string, rule: RateLimitRule, now: number) =>
    Effect.flatMap(limiter.consume(key, rule.limit, rule.windowMs), (decision) => {
      if (decision.allowed) return reportDecision(decision)
      if (exhausted.size >= EXHAUSTED_KEYS) exhausted.delete(exhausted.keys().next().value!)
      exhausted.set(key, { decision, windowMs: rule.windowMs })
      return refuseLimited(decision, rule, now)
    })

  /** Count one request against `key`; the decision is left in CurrentRateLimit for the edge's headers. */
  const rateLimit = Effect.fn("EpochAuth.rateLimit", { captureStackTrace: false })(function*(key: string, rule: RateLimitRule) {
    if (!settings.rateLimitEnabled) return
    const now = yield* Clock.currentTimeMillis
    const known = knownRefusal(key, rule, now)
    return yield* known === undefined ? count(key, rule, now) : refuseLimited(known, rule, now)
  })

  /** The checks that need the ports, the rate limiter's count first. */
  const consult = Effect.fnUntraced(function*(spec: AuthSpec, parts: SignedParts, now: number) {
    if (settings.rateLimitEnabled) {
      const [bucket, rule] = spec.rateLimit
      yield* count(limitKey(bucket, parts), rule, now)
    }

    const neuron = yield* metagraph.lookup(parts.hotkey)
    if (Option.isNone(neuron)) return yield* refuse(() => new HotkeyNotRegistered({ hotkey: parts.hotkey }, true))
    if (spec.role === "validator" && !neuron.value.validatorPermit) {
      return yield* refuse(() => new ValidatorPermitRequired({ hotkey: parts.hotkey }, true))
    }

    // Claimed before verifying so two concurrent copies cannot both pass; a
    // claim for a forged signature is harmless and expires with its timestamp.
    const first = yield* guard.claim(replayKey(parts), replayTtl(parts.timestamp, now))
    if (!first) return yield* refuse(() => new SignatureReused({ hotkey: parts.hotkey }, true))

    for (const commitment of spec.commitments(parts)) {
      if (yield* verifier.verify(parts.signature, utf8(commitment), parts.publicKey)) {
        return { parts, neuron: neuron.value, now } satisfies Authenticated
      }
    }
    return yield* refuse(() => new InvalidSignature({ hotkey: parts.hotkey }, true))
  })

  /**
   * `Effect.fn("EpochAuth.authenticate")` by hand: one span per call, refused or not, with the
   * same name and options. Except that a request refused before any port call (malformed, stale,
   * or past a limit the gate already saw refused) does not provide the span as the parent of spans
   * that will never come: Effect does that with a fiber-ref swap under acquire/release, which made
   * such a refusal's span cost four times a bare one (35 against 8 CPU µs here).
   */
  const authenticate = (spec: AuthSpec) =>
    Effect.useSpan("EpochAuth.authenticate", { captureStackTrace: false }, (span) =>
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<Authenticated, Refusal | Unavailable> => {
        const parsed = parseSignedRequest(spec.request)
        if (Either.isLeft(parsed) || spec.fieldMessages.length > 0) {
          const messages = [...(Either.isLeft(parsed) ? parsed.left : []), ...spec.fieldMessages]
          return refuse(() => new InvalidRequest({ messages }, true))
        }
        const parts = parsed.right
        const stale = checkFreshness(parts.timestamp, now)
        if (Either.isLeft(stale)) return Effect.fail(stale.left)
        if (settings.rateLimitEnabled) {
          const [bucket, rule] = spec.rateLimit
          const known = knownRefusal(limitKey(bucket, parts), rule, now)
          if (known !== undefined) return refuseLimited(known, rule, now)
        }
        // The ports' spans go under this one only when spans are recorded: with tracing off it is a no-op
        // span, and making it the parent would cost a context swap per request for nothing.
        const checks = consult(spec, parts, now)
        return Effect.flatMap(FiberRef.get(FiberRef.currentTracerEnabled), (on) => (on ? Effect.withParentSpan(checks, span) : checks))
      }))

  return { authenticate, rateLimit }
})
