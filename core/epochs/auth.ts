import { Either, Option } from "effect"
import { hexToBytes } from "../shared/hex.js"
import type { Millis } from "../shared/time.js"
import { StaleTimestamp, withoutStack } from "./errors.js"
import { decodeSs58 } from "./ss58.js"

/** Unix seconds accepted in signed requests (spec "Timestamp Validation"). */
export const TIMESTAMP_MIN = 1_600_000_000
export const TIMESTAMP_MAX = 2_147_483_647
export const MAX_SKEW_MS: Millis = 5 * 60_000

export interface SignedRequest {
  readonly hotkey: string
  /** 64-byte sr25519 signature, hex, with or without 0x. */
  readonly signature: string
  /** Unix seconds. */
  readonly timestamp: number
}

/** The decoded, well-formed parts of a signed request. */
export interface SignedParts {
  readonly hotkey: string
  readonly publicKey: Uint8Array
  readonly signature: Uint8Array
  /** Lower-case hex without 0x: one spelling per signature, for the replay key. */
  readonly signatureHex: string
  readonly timestamp: number
}

const SIGNATURE_HEX = /^(?:0x)?([0-9a-fA-F]{128})$/

export const parseSignature = (signature: string): Option.Option<Uint8Array> => {
  const m = SIGNATURE_HEX.exec(signature)
  return m === null ? Option.none() : Option.some(hexToBytes(m[1]!.toLowerCase()))
}

/** Field messages for an SS58 field, class-validator style ("<field> must …"). */
export const ss58Messages = (field: string, value: unknown): ReadonlyArray<string> => {
  if (typeof value !== "string") return [`${field} must be a string`]
  if (value.length === 0) return [`${field} should not be empty`]
  return Either.isLeft(decodeSs58(value)) ? [`${field} must be a valid SS58 address (network prefix 42)`] : []
}

const isTimestamp = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= TIMESTAMP_MIN && value <= TIMESTAMP_MAX

export const timestampMessages = (field: string, value: unknown): ReadonlyArray<string> => {
  if (isTimestamp(value)) return []
  if (typeof value !== "number" || !Number.isFinite(value)) return [`${field} must be a number conforming to the specified constraints`]
  if (!Number.isInteger(value)) return [`${field} must be an integer number`]
  if (value < TIMESTAMP_MIN) return [`${field} must not be less than ${TIMESTAMP_MIN}`]
  return [`${field} must not be greater than ${TIMESTAMP_MAX}`]
}

export const signatureMessages = (value: unknown): ReadonlyArray<string> => {
  if (typeof value !== "string") return ["signature must be a string"]
  if (value.length === 0) return ["signature should not be empty"]
  return Option.isNone(parseSignature(value)) ? ["signature must be a hex-encoded 64-byte sr25519 signature"] : []
}

/**
 * Check the shape of hotkey, signature and timestamp. Either every message for
 * the three fields, or the decoded parts.
 */
export const parseSignedRequest = (req: SignedRequest): Either.Either<SignedParts, ReadonlyArray<string>> => {
  // Every signed request comes through here, refused or not: a well-formed one is decoded in one
  // pass, and the messages are only worked out for a malformed one.
  const publicKey = typeof req.hotkey === "string" ? decodeSs58(req.hotkey) : undefined
  const signature = typeof req.signature === "string" ? SIGNATURE_HEX.exec(req.signature) : null
  if (publicKey === undefined || Either.isLeft(publicKey) || signature === null || !isTimestamp(req.timestamp)) {
    return Either.left([
      ...ss58Messages("hotkey", req.hotkey),
      ...signatureMessages(req.signature),
      ...timestampMessages("timestamp", req.timestamp)
    ])
  }
  const signatureHex = signature[1]!.toLowerCase()
  return Either.right({
    hotkey: req.hotkey,
    publicKey: publicKey.right,
    signature: hexToBytes(signatureHex),
    signatureHex,
    timestamp: req.timestamp
  })
}

/** The timestamp must lie within ±5 minutes of server time. */
export const checkFreshness = (timestamp: number, now: Millis): Either.Either<void, StaleTimestamp> =>
  Math.abs(now - timestamp * 1000) <= MAX_SKEW_MS
    ? Either.void
    : Either.left(withoutStack(() =>
      new StaleTimestamp({ timestamp, serverTime: Math.floor(now / 1000), maxSkewSeconds: MAX_SKEW_MS / 1000 }, true)
    ))

/**
 * How long a replay-guard entry must live: until the timestamp stops being
 * fresh (timestamp + 5 min), plus a second for the seconds/millis rounding.
 */
export const replayTtl = (timestamp: number, now: Millis): Millis => Math.max(0, timestamp * 1000 + MAX_SKEW_MS - now) + 1000

export const replayKey = (parts: Pick<SignedParts, "hotkey" | "signatureHex">): string =>
  `epochs:signature:${parts.hotkey}:${parts.signatureHex}`
