import { Clock, Context, Effect, Either, Layer, LogLevel, Option } from "effect"
import { hexToBytes, isHexOfLength } from "../shared/hex.js"
import { hotFn } from "../shared/hot-fn.js"
import { randomHex, randomUuid } from "../shared/random.js"
import { normalizeXOnlyPubkey } from "../shared/pubkey.js"
import type { StoreUnavailable } from "../shared/errors.js"
import { GatewaySigner } from "../../ports/gateway-signer.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import { type SessionFilter, SessionStore } from "../../ports/session-store.js"
import * as Ceremony from "./ceremony.machine.js"
import { applyWithDeadlines } from "./deadlines.js"
import { challengeMessage } from "./challenge.js"
import {
  type ChallengeAlreadyUsed,
  type ChallengeExpired,
  type InvalidIntent,
  InvalidSignature,
  type InvalidSessionState,
  PubkeyMismatch,
  type SessionExpired,
  SessionNotFound
} from "./errors.js"
import * as Machine from "./machine.js"
import type { Challenge, IntentData, Session, SessionStatus, SessionType, SigningEvent, XOnlyPubkey } from "./model.js"

export interface SigningSettings {
  readonly sessionTtlMs: number
  readonly challengeTtlMs: number
}

export interface SweepReport {
  readonly expired_sessions: number
  readonly timed_out_ceremonies: number
}

/** A command on an existing session: it may be missing, expired or in the wrong state. */
type Command<A, E = never> = Effect.Effect<A, E | SessionNotFound | SessionExpired | InvalidSessionState | StoreUnavailable>

/** Session and challenge use cases: load, decide with the machine, save atomically, log what happened. */
/** A wallet's answer to a challenge; `user_pubkey` is optional: when given it must be the session's key. */
export interface RespondInput {
  readonly signature: string
  readonly user_pubkey?: string | undefined
}

export class SessionService extends Context.Tag("relaygate/SessionService")<
  SessionService,
  {
    readonly create: (input: {
      readonly user_pubkey: string
      readonly session_type: SessionType
      readonly intent_data: IntentData
    }) => Effect.Effect<Session, InvalidIntent | StoreUnavailable>
    readonly get: (sessionId: string) => Effect.Effect<Session, SessionNotFound | StoreUnavailable>
    readonly issueChallenge: (sessionId: string) => Command<{ readonly session: Session; readonly challenge: Challenge }>
    readonly respond: (
      sessionId: string,
      input: RespondInput
    ) => Command<Session, ChallengeExpired | ChallengeAlreadyUsed | InvalidSignature | PubkeyMismatch>
    readonly complete: (sessionId: string, resultData: unknown) => Command<Session>
    readonly fail: (sessionId: string, reason: string) => Command<Session>
    readonly list: (filter: SessionFilter) => Effect.Effect<ReadonlyArray<Session>, StoreUnavailable>
    readonly stats: () => Effect.Effect<Readonly<Record<SessionStatus, number>>, StoreUnavailable>
    /** Expires overdue sessions and fails ceremonies past their deadlines. */
    readonly sweep: () => Effect.Effect<SweepReport, StoreUnavailable>
  }
>() {}

/** One info line per event; its annotations (a fiber-ref swap each) only when info lines are written at all. */
export const logEvents = (events: ReadonlyArray<SigningEvent>) =>
  events.length === 0
    ? Effect.void
    : Effect.asVoid(Effect.whenLogLevel(
      Effect.forEach(events, (e) => Effect.logInfo(e._tag).pipe(Effect.annotateLogs(e)), { discard: true }),
      LogLevel.Info
    ))

/**
 * Runs a machine transition as one atomic store step, after letting time-based
 * transitions win: a session past its deadline is saved as expired and the
 * command answered SessionExpired; a ceremony past its deadline is saved as
 * failed before the command is considered.
 */
export const transition = <E, D extends Machine.Decision>(
  store: Context.Tag.Service<SessionStore>,
  sessionId: string,
  decide: (s: Session, now: number) => Either.Either<D, E>
) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const outcome = yield* store.modify(sessionId, (s) =>
      Either.map(applyWithDeadlines(s, now, decide), (applied) => [applied.session, applied] as const))
    yield* logEvents(outcome.events)
    const decision = yield* outcome.result
    if (decision.events !== outcome.events) yield* logEvents(decision.events)
    return decision
  })

export const make = (settings: SigningSettings) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const verifier = yield* SchnorrVerifier
    const gateway = yield* GatewaySigner

    const load = (sessionId: string) =>
      Effect.flatMap(store.get(sessionId), Option.match({
        onNone: () => Effect.fail(new SessionNotFound({ session_id: sessionId })),
        onSome: Effect.succeed
      }))

    return SessionService.of({
      create: Effect.fn("SessionService.create")(function*(input) {
        const now = yield* Clock.currentTimeMillis
        // The edge has already checked the format; this is the domain's own guard.
        const pubkey = normalizeXOnlyPubkey(input.user_pubkey) as XOnlyPubkey
        const decision = yield* Machine.create({
          session_id: yield* randomUuid,
          user_pubkey: pubkey,
          session_type: input.session_type,
          intent_data: input.intent_data,
          ttl_ms: settings.sessionTtlMs
        }, now)
        yield* store.insert(decision.session)
        yield* logEvents(decision.events)
        return decision.session
      }),

      get: Effect.fn("SessionService.get")(load),

      issueChallenge: Effect.fn("SessionService.issueChallenge")(function*(sessionId: string) {
        const cmd = {
          challenge_id: yield* randomUuid,
          nonce: yield* randomHex(16),
          gateway_pubkey: gateway.pubkey,
          ttl_ms: settings.challengeTtlMs
        }
        const d = yield* transition(store, sessionId, (s, now) => Machine.issueChallenge(s, cmd, now))
        return { session: d.session, challenge: d.session.challenge! }
      }),

      // Every respond request runs it (bench row 3).
      respond: hotFn("SessionService.respond")(function*(sessionId: string, input: RespondInput) {
        const now = yield* Clock.currentTimeMillis
        const session = yield* load(sessionId)
        const userPubkey = input.user_pubkey === undefined ? session.user_pubkey : normalizeXOnlyPubkey(input.user_pubkey)
        if (userPubkey === undefined) return yield* new PubkeyMismatch({ session_id: sessionId })
        // Every state, expiry and key check runs on the loaded session before
        // the (comparatively expensive) signature verification.
        const live = Option.isNone(Machine.expireIfDue(session, now))
        const challenge = session.challenge
        if (live) {
          const refusal = Machine.respondRefusal(session, { challenge_id: challenge?.challenge_id ?? "", user_pubkey: userPubkey }, now)
          if (refusal !== undefined) return yield* refusal
        }
        // An expired session skips verification; the transition below saves it
        // as expired and answers SessionExpired.
        const valid = live && challenge !== null && isHexOfLength(input.signature, 64) &&
          (yield* verifier.verify(hexToBytes(input.signature), challengeMessage(challenge.challenge_data), hexToBytes(userPubkey)))
        const d = yield* transition(store, sessionId, (s, at) =>
          Machine.respond(s, {
            challenge_id: challenge?.challenge_id ?? "",
            user_pubkey: userPubkey,
            signature: input.signature.toLowerCase(),
            valid
          }, at))
        if (!d.accepted) {
          return yield* new InvalidSignature({ session_id: sessionId, attempts_left: d.attempts_left })
        }
        return d.session
      }),

      complete: Effect.fn("SessionService.complete")(function*(sessionId: string, resultData: unknown) {
        return (yield* transition(store, sessionId, (s, now) => Machine.complete(s, resultData, now))).session
      }),

      fail: Effect.fn("SessionService.fail")(function*(sessionId: string, reason: string) {
        return (yield* transition(store, sessionId, (s, now) => Machine.fail(s, reason, now))).session
      }),

      list: Effect.fn("SessionService.list")(function*(filter: SessionFilter) {
        return yield* store.list(filter)
      }),

      stats: Effect.fn("SessionService.stats")(function*() {
        return yield* store.countByStatus()
      }),

      sweep: Effect.fn("SessionService.sweep")(function*() {
        const now = yield* Clock.currentTimeMillis
        let expired = 0
        let timedOut = 0
        for (const s of yield* store.listSweepable(now)) {
          const outcome = yield* store.modify(s.session_id, (cur) =>
            Option.match(Option.orElse(Machine.expireIfDue(cur, now), () => Ceremony.timeoutIfDue(cur, now)), {
              onNone: () => Either.right([cur, [] as ReadonlyArray<SigningEvent>] as const),
              onSome: (d) => Either.right([d.session, d.events] as const)
            })
          ).pipe(Effect.catchTag("SessionNotFound", () => Effect.succeed([] as ReadonlyArray<SigningEvent>)))
          if (outcome.length === 0) continue
          if (s.status === "signing") timedOut++
          else expired++
          yield* logEvents(outcome)
        }
        return { expired_sessions: expired, timed_out_ceremonies: timedOut }
      })
    })
  })

export const layer = (settings: SigningSettings) => Layer.effect(SessionService, make(settings))
