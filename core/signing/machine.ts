import { Either, Option } from "effect"
import { challengeData, humanReadableContext, intentHash } from "./challenge.js"
import {
  ChallengeAlreadyUsed,
  ChallengeExpired,
  InvalidIntent,
  InvalidSessionState,
  PubkeyMismatch,
  SessionExpired
} from "./errors.js"
import {
  type IntentData,
  isTerminal,
  MAX_FAILED_ATTEMPTS,
  type Session,
  type SessionStatus,
  type SessionType,
  type SigningEvent,
  type XOnlyPubkey
} from "./model.js"
import { normalizeXOnlyPubkey } from "../shared/pubkey.js"

/** The new state of the aggregate and what happened, for the service to save and publish. */
export interface Decision {
  readonly session: Session
  readonly events: ReadonlyArray<SigningEvent>
}

export const changeStatus = (
  s: Session,
  to: SessionStatus,
  now: number,
  patch: Partial<Session> = {}
): Decision => ({
  session: { ...s, ...patch, status: to, updated_at: now },
  events: s.status === to ? [] : [{ _tag: "SessionStatusChanged", session_id: s.session_id, from: s.status, to }]
})

const invalidState = (s: Session, action: string, detail?: string) =>
  new InvalidSessionState({ session_id: s.session_id, status: s.status, action, ...(detail ? { detail } : {}) })

const isSafeAmount = (v: unknown): boolean =>
  typeof v === "number" ? Number.isSafeInteger(v) && v > 0 : typeof v === "string" && /^[1-9][0-9]{0,15}$/.test(v)

/**
 * Checks the intent a session is created for, so that a wallet is never asked
 * to sign something the ceremony cannot carry out. Returns the intent with the
 * recipient key normalized to x-only hex.
 */
export const validateIntent = (type: SessionType, intent: IntentData): Either.Either<IntentData, InvalidIntent> => {
  const fail = (reason: string) => Either.left(new InvalidIntent({ reason }))
  const amountKey = type === "p2p_transfer" ? "amount" : "amount" in intent ? "amount" : "amount_sats"
  if (!isSafeAmount(intent[amountKey])) return fail(`${amountKey} must be a positive integer`)
  if (intent["asset_id"] !== undefined && (typeof intent["asset_id"] !== "string" || intent["asset_id"] === "")) {
    return fail("asset_id must be a non-empty string")
  }
  if (type !== "p2p_transfer") return Either.right(intent)
  const recipient = typeof intent["recipient_pubkey"] === "string" ? normalizeXOnlyPubkey(intent["recipient_pubkey"]) : undefined
  if (recipient === undefined) return fail("recipient_pubkey must be a 64-hex x-only key or an npub")
  return Either.right({ ...intent, recipient_pubkey: recipient })
}

export interface CreateSession {
  readonly session_id: string
  readonly user_pubkey: XOnlyPubkey
  readonly session_type: SessionType
  readonly intent_data: IntentData
  readonly ttl_ms: number
}

export const create = (cmd: CreateSession, now: number): Either.Either<Decision, InvalidIntent> =>
  Either.map(validateIntent(cmd.session_type, cmd.intent_data), (intent) => ({
    session: {
      session_id: cmd.session_id,
      user_pubkey: cmd.user_pubkey,
      session_type: cmd.session_type,
      status: "initiated",
      intent_data: intent,
      context: null,
      created_at: now,
      updated_at: now,
      expires_at: now + cmd.ttl_ms,
      failed_attempts: 0,
      challenge: null,
      ceremony: null,
      result_data: null,
      signed_tx: null,
      failure_reason: null
    },
    events: [{ _tag: "SessionCreated", session_id: cmd.session_id }]
  }))

/**
 * Sessions waiting on their user time out at `expires_at`. A session in
 * `signing` is bounded by its ceremony's own deadline instead, so a slow
 * ceremony started near the end is not cut off mid-step.
 */
export const expireIfDue = (s: Session, now: number): Option.Option<Decision> =>
  !isTerminal(s.status) && s.status !== "signing" && now >= s.expires_at
    ? Option.some(changeStatus(s, "expired", now, { failure_reason: "session timed out" }))
    : Option.none()

export const expiredError = (s: Session) => new SessionExpired({ session_id: s.session_id })

export interface IssueChallenge {
  readonly challenge_id: string
  readonly nonce: string
  readonly gateway_pubkey: string
  readonly ttl_ms: number
}

/**
 * A session gets one live challenge. A new one is issued only from `initiated`,
 * or when the previous challenge expired unanswered (the wallet was slow), so a
 * lost challenge does not strand the session.
 */
export const issueChallenge = (
  s: Session,
  cmd: IssueChallenge,
  now: number
): Either.Either<Decision, InvalidSessionState> => {
  const reissue = s.status === "challenge_sent" && s.challenge !== null && !s.challenge.is_used &&
    now >= s.challenge.expires_at
  if (s.status !== "initiated" && !reissue) {
    return Either.left(invalidState(s, "create a challenge", s.status === "challenge_sent" ? "a challenge is still live" : undefined))
  }
  const expires_at = Math.min(now + cmd.ttl_ms, s.expires_at)
  const binding = {
    session_id: s.session_id,
    user_pubkey: s.user_pubkey,
    gateway_pubkey: cmd.gateway_pubkey,
    intent_hash: intentHash(s.intent_data),
    nonce: cmd.nonce,
    expires_at
  }
  const context = humanReadableContext(s.session_type, s.intent_data, expires_at)
  const next = changeStatus(s, "challenge_sent", now, {
    context,
    challenge: {
      ...binding,
      challenge_id: cmd.challenge_id,
      challenge_data: challengeData(binding),
      context,
      created_at: now,
      is_used: false,
      signature: null
    }
  })
  return Either.right({
    session: next.session,
    events: [...next.events, { _tag: "ChallengeIssued", session_id: s.session_id, challenge_id: cmd.challenge_id }]
  })
}

export interface Respond {
  readonly challenge_id: string
  readonly user_pubkey: string
  readonly signature: string
  /** Result of verifying `signature` over the challenge, done before this decision. */
  readonly valid: boolean
}

export interface RespondDecision extends Decision {
  readonly accepted: boolean
  readonly attempts_left: number
}

export type RespondRefusal = InvalidSessionState | ChallengeAlreadyUsed | ChallengeExpired | PubkeyMismatch

/**
 * Why `respond` would refuse this answer whatever its signature, or undefined
 * when it would take it: the checks the service runs before it verifies.
 */
export const respondRefusal = (s: Session, cmd: Omit<Respond, "signature" | "valid">, now: number): RespondRefusal | undefined => {
  const challenge = s.challenge
  if (challenge === null) return invalidState(s, "respond", "no challenge was issued")
  if (challenge.is_used) return new ChallengeAlreadyUsed({ session_id: s.session_id, challenge_id: challenge.challenge_id })
  if (s.status !== "challenge_sent") return invalidState(s, "respond")
  if (challenge.challenge_id !== cmd.challenge_id) return invalidState(s, "respond", "the challenge was replaced; sign the new one")
  if (cmd.user_pubkey !== s.user_pubkey) return new PubkeyMismatch({ session_id: s.session_id })
  if (now >= challenge.expires_at) return new ChallengeExpired({ session_id: s.session_id, challenge_id: challenge.challenge_id })
  return undefined
}

/**
 * Applies a verified (or failed) response. The challenge is consumed by the
 * first valid signature; later responses, even with the same signature, are
 * rejected. The third invalid signature fails the session.
 */
export const respond = (s: Session, cmd: Respond, now: number): Either.Either<RespondDecision, RespondRefusal> => {
  const refusal = respondRefusal(s, cmd, now)
  if (refusal !== undefined) return Either.left(refusal)
  const challenge = s.challenge!
  if (cmd.valid) {
    const next = changeStatus(s, "awaiting_signature", now, {
      challenge: { ...challenge, is_used: true, signature: cmd.signature }
    })
    return Either.right({
      ...next,
      events: [...next.events, { _tag: "SignatureAccepted", session_id: s.session_id }],
      accepted: true,
      attempts_left: MAX_FAILED_ATTEMPTS - s.failed_attempts
    })
  }
  const attempts = s.failed_attempts + 1
  const rejected: SigningEvent = { _tag: "SignatureRejected", session_id: s.session_id, attempts }
  const next = attempts >= MAX_FAILED_ATTEMPTS
    ? changeStatus(s, "failed", now, { failed_attempts: attempts, failure_reason: "too many invalid signatures" })
    : { session: { ...s, failed_attempts: attempts, updated_at: now }, events: [] }
  return Either.right({
    session: next.session,
    events: [rejected, ...next.events],
    accepted: false,
    attempts_left: Math.max(0, MAX_FAILED_ATTEMPTS - attempts)
  })
}

/**
 * A solver that executed the intent itself marks the session completed. Only
 * a session whose signature was verified can be completed this way; `signing`
 * belongs to the ceremony, which completes the session on finalization.
 */
export const complete = (s: Session, resultData: unknown, now: number): Either.Either<Decision, InvalidSessionState> =>
  s.status === "awaiting_signature"
    ? Either.right(changeStatus(s, "completed", now, { result_data: resultData ?? null }))
    : Either.left(invalidState(s, "complete the session"))

/** Fails any live session; a running ceremony is cancelled with it. */
export const fail = (s: Session, reason: string, now: number): Either.Either<Decision, InvalidSessionState> => {
  if (isTerminal(s.status)) return Either.left(invalidState(s, "fail the session"))
  const ceremony = s.ceremony !== null && s.ceremony.status === "running"
    ? { ...s.ceremony, status: "cancelled" as const, finished_at: now, error: reason }
    : s.ceremony
  const next = changeStatus(s, "failed", now, { failure_reason: reason, ceremony })
  return Either.right(
    ceremony !== s.ceremony
      ? { ...next, events: [...next.events, { _tag: "CeremonyFinished", session_id: s.session_id, status: "cancelled" }] }
      : next
  )
}
