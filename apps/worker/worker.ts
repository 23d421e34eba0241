import { Cause, Clock, Duration, Effect, Either, FiberSet, type Scope, Stream } from "effect"
import { CeremonyService } from "../../core/signing/ceremony.service.js"
import type { Session } from "../../core/signing/model.js"
import { SessionService } from "../../core/signing/service.js"
import { type Delivered, type DirectMessage, NostrBus, type NostrPublishFailed } from "../../ports/nostr-bus.js"
import { ReplayGuard } from "../../ports/replay-guard.js"
import {
  challengeRumor,
  claimedSessionId,
  confirmationEvent,
  decodeIntent,
  decodeResponse,
  expirationOf,
  type FailureCode,
  type FailureNotice,
  failureRumor,
  isFarFuture,
  isNewerVersion,
  KIND,
  payloadHash,
  tagValue
} from "./protocol.js"

/** Counters since the worker started; GET /nostr/status reports them. */
export interface WorkerStats {
  intents_received: number
  intents_ignored: number
  challenges_sent: number
  responses_received: number
  responses_ignored: number
  confirmations_published: number
  failures_sent: number
  /** Publishes that fewer than a majority of relays accepted (re-sent as relays come back). */
  publish_warnings: number
}

export const emptyStats = (): WorkerStats => ({
  intents_received: 0,
  intents_ignored: 0,
  challenges_sent: 0,
  responses_received: 0,
  responses_ignored: 0,
  confirmations_published: 0,
  failures_sent: 0,
  publish_warnings: 0
})

/** What the worker remembers about the newest version of one (author, action_id) intent. */
interface ActionRecord {
  readonly key: string
  readonly action_id: string
  readonly intent_id: string
  readonly created_at: number
  readonly wallet: string
  readonly session_id: string | null
  /** The intent's own expires_at, epoch ms: a response after it is refused. */
  readonly intent_expires_at: number
}

/** Longer than any relay redelivery the worker can see (gift wraps reach back two days). */
const CLAIM_TTL_MS = 3 * 24 * 3_600_000
/** Intents and DMs from slightly before start-up are still taken (clock skew between wallet and gateway). */
const START_SLACK_SECONDS = 10
const CEREMONY_POLL = Duration.millis(200)
/** Notices and confirmations are re-sent to relays that come back within this time. */
const RESEND_WINDOW_MS = 60 * 60_000

const isPublishFailed = (e: unknown): e is NostrPublishFailed =>
  typeof e === "object" && e !== null && "_tag" in e && e._tag === "NostrPublishFailed"

/** How a signing failure reads in the 31341 the wallet gets. */
const noticeFor = (e: { readonly _tag: string; readonly message: string; readonly attempts_left?: number }): {
  readonly error: FailureCode
  readonly message: string
  readonly attempts_left?: number | undefined
} => {
  switch (e._tag) {
    case "InvalidSignature":
      return { error: "INVALID_SIGNATURE", message: e.message, attempts_left: e.attempts_left }
    case "ChallengeExpired":
      return { error: "CHALLENGE_EXPIRED", message: `${e.message} (publish the intent again with a newer created_at for a new challenge)` }
    case "SessionExpired":
      return { error: "SESSION_EXPIRED", message: e.message }
    case "ChallengeAlreadyUsed":
      return { error: "CHALLENGE_ALREADY_USED", message: e.message }
    case "InvalidIntent":
      return { error: "INVALID_INTENT", message: e.message }
    case "InvalidSessionState":
    case "SessionNotFound":
      return { error: "INVALID_STATE", message: e.message }
    case "PubkeyMismatch":
      return { error: "INVALID_RESPONSE", message: e.message }
    case "CeremonyStepFailed":
    case "CeremonyNotFound":
    case "StepOutOfOrder":
      return { error: "CEREMONY_FAILED", message: e.message }
    default:
      return { error: "SERVICE_UNAVAILABLE", message: "the gateway could not process this now; try again later" }
  }
}

/**
 * The Nostr side of the ark signing flow, on the same SessionService and
 * CeremonyService as HTTP: 31510 intent → session + challenge → 31511 DM →
 * 31512 DM → respond → ceremony → 31340 (public) or 31341 (DM). Runs until
 * its scope closes. Both subscriptions are active before anything is
 * published. Events are handled one at a time per kind; publishing and
 * following ceremonies run beside that.
 */
export const run = (stats: WorkerStats): Effect.Effect<
  void,
  never,
  Scope.Scope | NostrBus | SessionService | CeremonyService | ReplayGuard
> =>
  Effect.gen(function*() {
    const bus = yield* NostrBus
    const sessions = yield* SessionService
    const ceremonies = yield* CeremonyService
    const guard = yield* ReplayGuard
    const background = yield* FiberSet.make()

    const actions = new Map<string, ActionRecord>()
    const bySession = new Map<string, ActionRecord>()
    let purgeAt = 1_024
    const remember = (r: ActionRecord, now: number) => {
      if (actions.size >= purgeAt) {
        for (const [k, old] of actions) {
          if (old.created_at * 1000 < now - CLAIM_TTL_MS) {
            actions.delete(k)
            if (old.session_id !== null) bySession.delete(old.session_id)
          }
        }
        purgeAt = Math.max(1_024, actions.size * 2)
      }
      actions.set(r.key, r)
      if (r.session_id !== null) bySession.set(r.session_id, r)
    }

    const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

    /** Publishing never holds up event handling, and a relay shortfall is a warning, not a failure. */
    const inBackground = <E>(effect: Effect.Effect<unknown, E>, what: Record<string, unknown>) =>
      FiberSet.run(
        background,
        effect.pipe(
          Effect.catchIf((e): e is E & NostrPublishFailed => isPublishFailed(e), (e) =>
            Effect.sync(() => {
              stats.publish_warnings++
            }).pipe(Effect.zipRight(Effect.logWarning(e.message).pipe(Effect.annotateLogs(what))))),
          Effect.catchAllCause((cause) => Effect.logError("nostr worker: background task failed", cause).pipe(Effect.annotateLogs(what)))
        )
      )

    const notify = (wallet: string, notice: FailureNotice) =>
      Effect.gen(function*() {
        stats.failures_sent++
        yield* Effect.logInfo("sending 31341 failure").pipe(
          Effect.annotateLogs({ error: notice.error, session_id: notice.session_id ?? "", action_id: notice.action_id ?? "" })
        )
        const until = (yield* Clock.currentTimeMillis) + RESEND_WINDOW_MS
        yield* inBackground(
          bus.sendDirectMessage(wallet, failureRumor(notice), { retryUntil: until }).pipe(
            Effect.catchTag("NostrInvalidPeer", (e) => Effect.logWarning(e.message))
          ),
          { kind: KIND.failure, session_id: notice.session_id ?? "" }
        )
      })

    const ignoreIntent = (reason: string, id: string) =>
      Effect.sync(() => {
        stats.intents_ignored++
      }).pipe(Effect.zipRight(Effect.logDebug(`ignored intent: ${reason}`).pipe(Effect.annotateLogs({ intent_id: id }))))

    const ignoreMessage = (reason: string, id: string) =>
      Effect.sync(() => {
        stats.responses_ignored++
      }).pipe(Effect.zipRight(Effect.logDebug(`ignored direct message: ${reason}`).pipe(Effect.annotateLogs({ rumor_id: id }))))

    /** Single processing across restarts and replicas (a shared ReplayGuard makes it cluster-wide). */
    const firstClaim = (key: string) =>
      guard.claim(key, CLAIM_TTL_MS).pipe(
        Effect.catchAll((e) => Effect.logError("replay guard unavailable; event not processed", e.reason).pipe(Effect.as(false)))
      )

    /** A newer version of an intent replaces an older one only while the older one's session awaits its signature. */
    const supersede = (prev: ActionRecord, next: { readonly id: string }) =>
      Effect.gen(function*() {
        if (prev.session_id === null) return true
        const s = yield* sessions.get(prev.session_id).pipe(Effect.either)
        if (Either.isLeft(s)) return true
        const status = s.right.status
        if (status === "initiated" || status === "challenge_sent") {
          yield* sessions.fail(prev.session_id, `superseded by a newer version of the intent (${next.id})`).pipe(Effect.ignore)
          yield* Effect.logInfo("intent superseded").pipe(Effect.annotateLogs({ session_id: prev.session_id, intent_id: next.id }))
          return true
        }
        return status === "failed" || status === "expired"
      })

    const onIntent = ({ event: e }: Delivered) =>
      Effect.gen(function*() {
        stats.intents_received++
        const now = yield* Clock.currentTimeMillis
        const nowSec = Math.floor(now / 1000)
        if (isFarFuture(e.created_at, nowSec)) return yield* ignoreIntent("created_at is in the future", e.id)
        const expiration = expirationOf(e)
        if (expiration !== undefined && expiration <= nowSec) return yield* ignoreIntent("expired (NIP-40)", e.id)
        const decoded = decodeIntent(e.content)
        const dTag = tagValue(e.tags, "d")
        const actionId = Either.isRight(decoded) ? decoded.right.action_id : dTag
        const reply = (error: FailureCode, message: string, sessionId?: string) =>
          notify(e.pubkey, { error, message, action_id: actionId, session_id: sessionId, intent_id: e.id, answers: e.id })
        if (!(yield* firstClaim(`nostr:intent:${e.id}`))) return yield* ignoreIntent("already processed", e.id)
        if (Either.isLeft(decoded)) return yield* reply("INVALID_INTENT", `Invalid intent: ${decoded.left}`)
        const content = decoded.right
        if (content.expires_at <= nowSec) return yield* ignoreIntent("expires_at has passed", e.id)
        if (dTag !== content.action_id) {
          return yield* reply("INVALID_INTENT", "Invalid intent: the d tag must equal action_id (kind 31510 is addressable)")
        }

        const key = `${e.pubkey}:${content.action_id}`
        const prev = actions.get(key)
        if (prev !== undefined) {
          if (!isNewerVersion({ created_at: e.created_at, id: e.id }, { created_at: prev.created_at, id: prev.intent_id })) {
            return yield* ignoreIntent("an older version of an intent already handled", e.id)
          }
          if (!(yield* supersede(prev, e))) {
            // The record stays the authorised version's: its 31340 references that intent.
            return yield* reply(
              "ACTION_ALREADY_PROCESSED",
              `action ${content.action_id} was already authorised (session ${prev.session_id}); use a new action_id`,
              prev.session_id ?? undefined
            )
          }
        }

        const created = yield* sessions.create({ user_pubkey: e.pubkey, session_type: content.type, intent_data: content.intent }).pipe(
          Effect.flatMap((s) => sessions.issueChallenge(s.session_id)),
          Effect.either
        )
        if (Either.isLeft(created)) {
          const n = noticeFor(created.left)
          return yield* reply(n.error, n.message)
        }
        const { session } = created.right
        const record: ActionRecord = {
          key,
          action_id: content.action_id,
          intent_id: e.id,
          created_at: e.created_at,
          wallet: e.pubkey,
          session_id: session.session_id,
          intent_expires_at: content.expires_at * 1000
        }
        remember(record, now)
        stats.challenges_sent++
        yield* Effect.logInfo("intent accepted; sending 31511 challenge").pipe(
          Effect.annotateLogs({ action_id: content.action_id, session_id: session.session_id, intent_id: e.id })
        )
        yield* inBackground(
          bus.sendDirectMessage(e.pubkey, challengeRumor(session, record), { retryUntil: session.challenge!.expires_at }).pipe(
            Effect.catchTag("NostrInvalidPeer", (x) => Effect.logWarning(x.message))
          ),
          { kind: KIND.challenge, session_id: session.session_id }
        )
      })

    /** Starts the ceremony, waits for its end and publishes the outcome. */
    const followCeremony = (sessionId: string, record: ActionRecord | undefined, wallet: string) =>
      Effect.gen(function*() {
        const ref = { intent_id: record?.intent_id, action_id: record?.action_id }
        const started = yield* ceremonies.start(sessionId, { auto: true }).pipe(Effect.either)
        if (Either.isLeft(started)) {
          return yield* notify(wallet, { ...noticeFor(started.left), ...ref, session_id: sessionId, answers: sessionId })
        }
        // status() applies the ceremony's deadlines, so this ends within 300 s whatever arkd does.
        let ended: Session = yield* ceremonies.status(sessionId)
        while (ended.ceremony?.status === "running") {
          yield* Effect.sleep(CEREMONY_POLL)
          ended = yield* ceremonies.status(sessionId)
        }
        if (ended.status === "completed") {
          stats.confirmations_published++
          yield* Effect.logInfo("ceremony completed; publishing 31340").pipe(Effect.annotateLogs({ session_id: sessionId }))
          const until = (yield* Clock.currentTimeMillis) + RESEND_WINDOW_MS
          return yield* bus.publish(confirmationEvent(ended, ref), { retryUntil: until })
        }
        return yield* notify(wallet, {
          error: "CEREMONY_FAILED",
          message: ended.ceremony?.error ?? ended.failure_reason ?? `the session ended ${ended.status}`,
          ...ref,
          session_id: sessionId,
          answers: sessionId
        })
      })

    const onMessage = (m: DirectMessage) =>
      Effect.gen(function*() {
        const rumor = m.rumor
        if (rumor.kind !== KIND.response) return yield* ignoreMessage(`kind ${rumor.kind} is not a 31512 response`, rumor.id)
        stats.responses_received++
        const nowMs = yield* Clock.currentTimeMillis
        if (isFarFuture(rumor.created_at, Math.floor(nowMs / 1000))) return yield* ignoreMessage("created_at is in the future", rumor.id)
        if (!(yield* firstClaim(`nostr:response:${rumor.id}`))) return yield* ignoreMessage("already processed", rumor.id)

        const decoded = decodeResponse(rumor.content)
        const sessionId = Either.isRight(decoded) ? decoded.right.session_id : claimedSessionId(rumor.content)
        if (sessionId === undefined) return yield* ignoreMessage("names no session", rumor.id)
        const found = yield* sessions.get(sessionId).pipe(Effect.either)
        // Only the session's own wallet is answered (or can spend its attempts).
        if (Either.isLeft(found)) return yield* ignoreMessage("unknown session", rumor.id)
        const session = found.right
        if (session.user_pubkey !== m.sender) return yield* ignoreMessage("sender is not the session's wallet", rumor.id)
        const record = bySession.get(sessionId)
        const reply = (n: ReturnType<typeof noticeFor>) =>
          notify(m.sender, { ...n, action_id: record?.action_id, intent_id: record?.intent_id, session_id: sessionId, answers: rumor.id })
        if (Either.isLeft(decoded)) return yield* reply({ error: "INVALID_RESPONSE", message: `Invalid response: ${decoded.left}` })
        const response = decoded.right

        if (record !== undefined && nowMs >= record.intent_expires_at) {
          yield* sessions.fail(sessionId, "the intent expired before it was signed").pipe(Effect.ignore)
          return yield* reply({ error: "INTENT_EXPIRED", message: `the intent's expires_at has passed` })
        }
        const c = session.challenge
        if (c !== null && response.payload_ref !== c.challenge_id && response.payload_ref.toLowerCase() !== payloadHash(c.challenge_data)) {
          return yield* reply({
            error: "INVALID_RESPONSE",
            message: "payload_ref names neither the current challenge_id nor its payload_hash"
          })
        }
        const answered = yield* sessions.respond(sessionId, {
          signature: response.signature.replace(/^0x/, ""),
          user_pubkey: m.sender
        }).pipe(Effect.either)
        if (Either.isLeft(answered)) return yield* reply(noticeFor(answered.left))
        yield* Effect.logInfo("31512 signature accepted; starting the ceremony").pipe(Effect.annotateLogs({ session_id: sessionId }))
        yield* inBackground(followCeremony(sessionId, record, m.sender), { session_id: sessionId })
      })

    /** One bad event must never stop the loop. */
    const guarded = <E>(what: string) => (effect: Effect.Effect<void, E>) =>
      effect.pipe(Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logError(`nostr worker: ${what} failed`, cause)
      ))

    const since = (yield* nowSeconds) - START_SLACK_SECONDS
    const intents = yield* bus.subscribe([{ kinds: [KIND.intent], "#p": [bus.pubkey], since }])
    const messages = yield* bus.directMessages(since)
    yield* Stream.runForEach(intents, (d) => guarded("intent")(onIntent(d))).pipe(Effect.forkScoped)
    yield* Stream.runForEach(messages, (m) => guarded("response")(onMessage(m))).pipe(Effect.forkScoped)
    yield* Effect.logInfo("nostr worker listening").pipe(Effect.annotateLogs({ pubkey: bus.pubkey }))
  })
