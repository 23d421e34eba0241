import { Either, ParseResult, Schema } from "effect"
import { sha256Hex } from "../../core/shared/hash.js"
import { IntentData, type Session, SessionType } from "../../core/signing/model.js"
import type { NostrEvent, Rumor } from "../../ports/nostr-bus.js"

/**
 * The Solver Integration Contract over Nostr (docs/nostr.md is the wallet
 * builder's description of the same). Every kind is addressable
 * (30000–39999): relays keep the newest event per (author, kind, `d`), so
 * each event carries its own `d`.
 */
export const KIND = {
  /** wallet → gateway, public, `p`-tags the gateway; `d` = action_id. */
  intent: 31510,
  /** gateway → wallet, gift-wrapped DM; `d` = session_id. */
  challenge: 31511,
  /** wallet → gateway, gift-wrapped DM; `d` = session_id. */
  response: 31512,
  /** gateway, public; `d` = session_id. */
  confirmation: 31340,
  /** gateway → wallet, gift-wrapped DM; `d` unique per notice. */
  failure: 31341
} as const

/** What a 31511 asks for: BIP-340 over sha256(UTF-8 payload_to_sign). */
export const CHALLENGE_TYPE = "sign_challenge"

/** Events dated further ahead than this are ignored (clock skew allowance). */
export const MAX_FUTURE_SECONDS = 10 * 60

/** 31341 `code`s, in the seed guide's ranges: 1xxx authorization, 3xxx execution, 5xxx the gateway itself. */
export const FAILURE_CODES = {
  INVALID_SIGNATURE: 1001,
  CHALLENGE_EXPIRED: 1002,
  INVALID_INTENT: 1003,
  SESSION_EXPIRED: 1004,
  CHALLENGE_ALREADY_USED: 1005,
  ACTION_ALREADY_PROCESSED: 1006,
  INVALID_RESPONSE: 1007,
  INTENT_EXPIRED: 1008,
  INVALID_STATE: 1009,
  CEREMONY_FAILED: 3001,
  SERVICE_UNAVAILABLE: 5001
} as const
export type FailureCode = keyof typeof FAILURE_CODES

const Id = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))
const UnixSeconds = Schema.Number.pipe(Schema.int(), Schema.positive())

/** 31510 content: `{ action_id, type?, intent: {...}, expires_at }` (expires_at in unix seconds). */
export const IntentContent = Schema.Struct({
  action_id: Id,
  type: Schema.optionalWith(SessionType, { default: () => "p2p_transfer" as const }),
  intent: IntentData,
  expires_at: UnixSeconds
})
export type IntentContent = typeof IntentContent.Type

const INTENT_ENVELOPE = new Set(["action_id", "type", "expires_at"])

/**
 * Reads 31510 content. The seed's developer guide put the intent's fields at
 * the top level next to action_id; that form is accepted too and read as if
 * they were under `intent`.
 */
export const decodeIntent = (content: string): Either.Either<IntentContent, string> => {
  const json = parseJson(content)
  if (Either.isLeft(json)) return Either.left(json.left)
  const raw = json.right
  const shaped = typeof raw === "object" && raw !== null && !Array.isArray(raw) && !("intent" in raw)
    ? { ...pick(raw, INTENT_ENVELOPE), intent: omit(raw, INTENT_ENVELOPE) }
    : raw
  return Either.mapLeft(Schema.decodeUnknownEither(IntentContent)(shaped), formatError)
}

/** 31512 content. */
export const ResponseContent = Schema.Struct({
  session_id: Id,
  type: Schema.Literal(CHALLENGE_TYPE),
  signature: Schema.String.pipe(Schema.pattern(/^(0x)?[0-9a-fA-F]{128}$/, { message: () => "must be a 64-byte BIP-340 signature in hex" })),
  /** The challenge_id or payload_hash of the 31511 being answered. */
  payload_ref: Id
})
export type ResponseContent = typeof ResponseContent.Type

export const decodeResponse = (content: string): Either.Either<ResponseContent, string> =>
  Either.flatMap(parseJson(content), (raw) => Either.mapLeft(Schema.decodeUnknownEither(ResponseContent)(raw), formatError))

/** The session id a response names, when its content names one at all (for answering a malformed response). */
export const claimedSessionId = (content: string): string | undefined => {
  const json = parseJson(content)
  if (Either.isLeft(json)) return undefined
  const raw = json.right as Record<string, unknown> | null
  return typeof raw === "object" && raw !== null && typeof raw["session_id"] === "string" ? raw["session_id"] : undefined
}

export const tagValue = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string): string | undefined =>
  tags.find((t) => t[0] === name)?.[1]

/** NIP-40 `expiration`, unix seconds; undefined when absent or not a number. */
export const expirationOf = (e: NostrEvent | Rumor): number | undefined => {
  const v = tagValue(e.tags, "expiration")
  return v !== undefined && /^\d{1,12}$/.test(v) ? Number(v) : undefined
}

export const isFarFuture = (createdAt: number, nowSeconds: number): boolean => createdAt > nowSeconds + MAX_FUTURE_SECONDS

/**
 * NIP-01 ordering of versions of one addressable event: the later
 * `created_at` wins; on a tie the lower id.
 */
export const isNewerVersion = (candidate: { created_at: number; id: string }, current: { created_at: number; id: string }): boolean =>
  candidate.created_at > current.created_at || (candidate.created_at === current.created_at && candidate.id < current.id)

/** sha256 of payload_to_sign, hex: the 32-byte message the wallet signs. */
export const payloadHash = (payloadToSign: string): string => sha256Hex(payloadToSign)

const seconds = (ms: number) => Math.floor(ms / 1000)

/** The 31511 challenge rumor for a session whose challenge was just issued. */
export const challengeRumor = (s: Session, ref: { readonly intent_id: string; readonly action_id: string }) => {
  const c = s.challenge!
  return {
    kind: KIND.challenge,
    tags: [["d", s.session_id], ["e", ref.intent_id], ["p", s.user_pubkey]],
    content: JSON.stringify({
      session_id: s.session_id,
      type: CHALLENGE_TYPE,
      payload_to_sign: c.challenge_data,
      human_readable_context: c.context,
      action_id: ref.action_id,
      challenge_id: c.challenge_id,
      payload_hash: payloadHash(c.challenge_data),
      session_type: s.session_type,
      expires_at: seconds(c.expires_at)
    })
  }
}

/** The public 31340 confirmation of a completed session. */
export const confirmationEvent = (s: Session, ref: { readonly intent_id?: string | undefined; readonly action_id?: string | undefined }) => {
  const result = (s.result_data ?? {}) as Record<string, unknown>
  const recipient = typeof result["recipient_pubkey"] === "string" ? result["recipient_pubkey"] : undefined
  return {
    kind: KIND.confirmation,
    tags: [
      ["d", s.session_id],
      ...(ref.intent_id === undefined ? [] : [["e", ref.intent_id]]),
      ["p", s.user_pubkey],
      ...(recipient === undefined || recipient === s.user_pubkey ? [] : [["p", recipient]])
    ],
    content: JSON.stringify({
      status: "completed",
      action_id: ref.action_id ?? null,
      session_id: s.session_id,
      session_type: s.session_type,
      sender_pubkey: s.user_pubkey,
      ark_txid: result["ark_txid"] ?? null,
      recipient_pubkey: recipient ?? null,
      amount: result["amount"] ?? null,
      asset_id: result["asset_id"] ?? null,
      completed_at: seconds(s.updated_at)
    })
  }
}

export interface FailureNotice {
  readonly error: FailureCode
  readonly message: string
  readonly action_id?: string | undefined
  readonly session_id?: string | undefined
  readonly attempts_left?: number | undefined
  /** The intent the failure is about, when known. */
  readonly intent_id?: string | undefined
  /** The event being answered (intent or response rumor); makes `d` unique. */
  readonly answers: string
}

/** The 31341 failure rumor. */
export const failureRumor = (f: FailureNotice) => ({
  kind: KIND.failure,
  tags: [
    ["d", `${f.session_id ?? f.action_id ?? "notice"}:${f.answers}`],
    ...(f.intent_id === undefined ? [] : [["e", f.intent_id]]),
    ...(f.answers === f.intent_id ? [] : [["e", f.answers]])
  ],
  content: JSON.stringify({
    status: "failure",
    code: FAILURE_CODES[f.error],
    error: f.error,
    message: f.message,
    action_id: f.action_id ?? null,
    session_id: f.session_id ?? null,
    ...(f.attempts_left === undefined ? {} : { attempts_left: f.attempts_left })
  })
})

const parseJson = (content: string): Either.Either<unknown, string> => {
  if (content.length > 64 * 1024) return Either.left("content is larger than 64 KiB")
  try {
    return Either.right(JSON.parse(content) as unknown)
  } catch {
    return Either.left("content is not JSON")
  }
}

const pick = (o: object, keys: ReadonlySet<string>) => Object.fromEntries(Object.entries(o).filter(([k]) => keys.has(k)))
const omit = (o: object, keys: ReadonlySet<string>) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.has(k)))

const formatError = (e: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(e)
    .map((i) => (i.path.length === 0 ? i.message : `${i.path.map(String).join(".")}: ${i.message}`))
    .join("; ")
