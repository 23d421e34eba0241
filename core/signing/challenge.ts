import { canonicalJson } from "../shared/canonical-json.js"
import { sha256Bytes, sha256Hex } from "../shared/hash.js"
import { bytesToHex } from "../shared/hex.js"
import { recentCache } from "../shared/recent-cache.js"
import type { IntentData, SessionType } from "./model.js"

/** Domain separator: a signature over one of our challenges is useless anywhere else. */
export const CHALLENGE_DOMAIN = "relaygate/ark-challenge/v1"

export const intentHash = (intent: IntentData): string => sha256Hex(canonicalJson(intent))

export interface ChallengeBinding {
  readonly session_id: string
  readonly user_pubkey: string
  readonly gateway_pubkey: string
  readonly intent_hash: string
  readonly nonce: string
  readonly expires_at: number
}

/**
 * The exact string a wallet signs. Canonical JSON so any client can rebuild and
 * check every bound field before signing; the signed message is sha256 of its
 * UTF-8 bytes (see `challengeMessage`).
 */
export const challengeData = (b: ChallengeBinding): string =>
  canonicalJson({
    domain: CHALLENGE_DOMAIN,
    session_id: b.session_id,
    user_pubkey: b.user_pubkey,
    gateway_pubkey: b.gateway_pubkey,
    intent_hash: b.intent_hash,
    nonce: b.nonce,
    expires_at: Math.floor(b.expires_at / 1000)
  })

interface Digest {
  readonly bytes: Uint8Array
  hex?: string
}

// The same challenge is hashed when it is issued (its message_hash), when the answer is verified and
// when the answer shows it again: the digests of recent challenges are kept, by their data.
// 8,192 to 16,384 of them: a few MB, more than a busy gateway has outstanding within a challenge's lifetime.
const recent = recentCache<string, Digest>(8192)

const digestOf = (data: string): Digest => {
  const known = recent.get(data)
  if (known !== undefined) return known
  const digest: Digest = { bytes: sha256Bytes(data) }
  recent.set(data, digest)
  return digest
}

/** The 32-byte BIP-340 message: sha256(UTF-8 challenge_data). Shared between calls: read it, never write to it. */
export const challengeMessage = (data: string): Uint8Array => digestOf(data).bytes

/** `challengeMessage` as hex: the challenge's message_hash. */
export const challengeMessageHex = (data: string): string => {
  const digest = digestOf(data)
  return digest.hex ??= bytesToHex(digest.bytes)
}

const describeAmount = (intent: IntentData): string => {
  const amount = intent["amount"]
  const asset = typeof intent["asset_id"] === "string" ? intent["asset_id"] : "BTC"
  return typeof amount === "number" || typeof amount === "string" ? `${amount} ${asset}` : "an unspecified amount"
}

/** One line a wallet shows its user before signing. */
export const humanReadableContext = (type: SessionType, intent: IntentData, expiresAt: number): string => {
  const until = new Date(expiresAt).toISOString()
  switch (type) {
    case "p2p_transfer":
      return `Send ${describeAmount(intent)} to ${String(intent["recipient_pubkey"] ?? "an unspecified recipient")}. Valid until ${until}.`
    case "lightning_lift":
      return `Lift ${describeAmount(intent)} from Lightning into Ark. Valid until ${until}.`
    case "lightning_land":
      return `Land ${describeAmount(intent)} from Ark to a Lightning invoice. Valid until ${until}.`
  }
}
