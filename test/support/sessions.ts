import type { Session, XOnlyPubkey } from "../../core/signing/model.js"

let counter = 0

/** A well-formed session for store tests; override what the test is about. */
export const sampleSession = (overrides: Partial<Session> = {}): Session => {
  counter++
  return {
    session_id: `sess-${counter}-${Math.random().toString(16).slice(2, 10)}`,
    user_pubkey: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" as XOnlyPubkey,
    session_type: "p2p_transfer",
    status: "initiated",
    intent_data: { recipient_pubkey: "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", amount: 10000, asset_id: "BTC" },
    context: null,
    created_at: 1_700_000_000_000 + counter,
    updated_at: 1_700_000_000_000 + counter,
    expires_at: 1_700_000_000_000 + counter + 30 * 60_000,
    failed_attempts: 0,
    challenge: null,
    ceremony: null,
    result_data: null,
    signed_tx: null,
    failure_reason: null,
    ...overrides
  }
}
