import { canonicalJson } from "../shared/canonical-json.js"
import { sha256Bytes, sha256Hex } from "../shared/hash.js"
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

/** The 32-byte BIP-340 message: sha256(UTF-8 challenge_data). */
export const challengeMessage = (data: string): Uint8Array => sha256Bytes(data)

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
