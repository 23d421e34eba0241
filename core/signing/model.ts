import { Schema } from "effect"

export const SESSION_STATUSES = [
  "initiated",
  "challenge_sent",
  "awaiting_signature",
  "signing",
  "completed",
  "failed",
  "expired"
] as const

export const SessionStatus = Schema.Literal(...SESSION_STATUSES)
export type SessionStatus = typeof SessionStatus.Type

/** Older clients send these names; they map onto the canonical states. */
export const SESSION_STATUS_ALIASES = { pending: "initiated", response_received: "awaiting_signature" } as const

/** A status as clients may spell it on input (canonical name or alias), decoded to the canonical one. */
export const SessionStatusInput = Schema.transform(
  Schema.Literal(...SESSION_STATUSES, "pending", "response_received"),
  SessionStatus,
  {
    strict: true,
    decode: (s) => (s === "pending" || s === "response_received" ? SESSION_STATUS_ALIASES[s] : s),
    encode: (s) => s
  }
)

export const TERMINAL_STATUSES: ReadonlySet<SessionStatus> = new Set(["completed", "failed", "expired"])
export const isTerminal = (status: SessionStatus): boolean => TERMINAL_STATUSES.has(status)

export const SessionType = Schema.Literal("p2p_transfer", "lightning_lift", "lightning_land")
export type SessionType = typeof SessionType.Type

export const IntentData = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export type IntentData = typeof IntentData.Type

/** x-only secp256k1 public key, lower-case hex (what BIP-340 verifies against). */
export const XOnlyPubkey = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/), Schema.brand("XOnlyPubkey"))
export type XOnlyPubkey = typeof XOnlyPubkey.Type

export const Challenge = Schema.Struct({
  challenge_id: Schema.String,
  session_id: Schema.String,
  /** The exact UTF-8 string the wallet signs (BIP-340 over its sha256). */
  challenge_data: Schema.String,
  /** What a wallet shows its user before signing. */
  context: Schema.String,
  nonce: Schema.String,
  intent_hash: Schema.String,
  gateway_pubkey: Schema.String,
  created_at: Schema.Number,
  expires_at: Schema.Number,
  is_used: Schema.Boolean,
  signature: Schema.NullOr(Schema.String)
})
export type Challenge = typeof Challenge.Type

export const CEREMONY_STEPS = [
  "intent_verification",
  "ark_transaction_prep",
  "checkpoint_transaction_prep",
  "signature_collection",
  "ark_protocol_execution",
  "finalization"
] as const
export const CeremonyStepName = Schema.Literal(...CEREMONY_STEPS)
export type CeremonyStepName = typeof CeremonyStepName.Type
export const STEP_COUNT = CEREMONY_STEPS.length

export const StepStatus = Schema.Literal("pending", "running", "completed", "failed")
export type StepStatus = typeof StepStatus.Type

export const StepRecord = Schema.Struct({
  step: Schema.Number,
  name: CeremonyStepName,
  status: StepStatus,
  attempts: Schema.Number,
  started_at: Schema.NullOr(Schema.Number),
  completed_at: Schema.NullOr(Schema.Number),
  error: Schema.NullOr(Schema.String)
})
export type StepRecord = typeof StepRecord.Type

/** A gateway-owned VTXO chosen as input of the ark transaction. */
export const VtxoInput = Schema.Struct({
  txid: Schema.String,
  vout: Schema.Number,
  amount: Schema.BigInt,
  script: Schema.String
})
export type VtxoInput = typeof VtxoInput.Type

/** What the steps produce; each field is filled by the step that owns it. */
export const CeremonyArtifacts = Schema.Struct({
  recipient_pubkey: Schema.optional(Schema.String),
  amount: Schema.optional(Schema.BigInt),
  asset_id: Schema.optional(Schema.String),
  server_pubkey: Schema.optional(Schema.String),
  inputs: Schema.optional(Schema.Array(VtxoInput)),
  /** PSBTs, base64. */
  ark_tx: Schema.optional(Schema.String),
  checkpoint_txs: Schema.optional(Schema.Array(Schema.String)),
  ark_txid: Schema.optional(Schema.String),
  final_ark_tx: Schema.optional(Schema.String),
  final_checkpoint_txs: Schema.optional(Schema.Array(Schema.String))
})
export type CeremonyArtifacts = typeof CeremonyArtifacts.Type

export const CeremonyStatus = Schema.Literal("running", "completed", "failed", "cancelled")
export type CeremonyStatus = typeof CeremonyStatus.Type

export const Ceremony = Schema.Struct({
  status: CeremonyStatus,
  /** When true the gateway drives all steps itself; otherwise the client posts each step. */
  auto: Schema.Boolean,
  started_at: Schema.Number,
  deadline_at: Schema.Number,
  /** 1-based index of the next step to run; STEP_COUNT + 1 once all ran. */
  current_step: Schema.Number,
  steps: Schema.Array(StepRecord),
  artifacts: CeremonyArtifacts,
  finished_at: Schema.NullOr(Schema.Number),
  error: Schema.NullOr(Schema.String)
})
export type Ceremony = typeof Ceremony.Type

/**
 * The signing-session aggregate. Its challenge and ceremony live inside it so
 * that every transition is one atomic store operation.
 */
export const Session = Schema.Struct({
  session_id: Schema.String,
  user_pubkey: XOnlyPubkey,
  session_type: SessionType,
  status: SessionStatus,
  intent_data: IntentData,
  context: Schema.NullOr(Schema.String),
  created_at: Schema.Number,
  updated_at: Schema.Number,
  expires_at: Schema.Number,
  failed_attempts: Schema.Number,
  challenge: Schema.NullOr(Challenge),
  ceremony: Schema.NullOr(Ceremony),
  result_data: Schema.NullOr(Schema.Unknown),
  signed_tx: Schema.NullOr(Schema.String),
  failure_reason: Schema.NullOr(Schema.String)
})
export type Session = typeof Session.Type

export const MAX_FAILED_ATTEMPTS = 3
export const STEP_TIMEOUT_MS = 60_000
export const CEREMONY_TIMEOUT_MS = 300_000

/** Events the machines emit; services publish them and adapters may persist them. */
export type SigningEvent =
  | { readonly _tag: "SessionCreated"; readonly session_id: string }
  | { readonly _tag: "ChallengeIssued"; readonly session_id: string; readonly challenge_id: string }
  | { readonly _tag: "SignatureAccepted"; readonly session_id: string }
  | { readonly _tag: "SignatureRejected"; readonly session_id: string; readonly attempts: number }
  | { readonly _tag: "SessionStatusChanged"; readonly session_id: string; readonly from: SessionStatus; readonly to: SessionStatus }
  | { readonly _tag: "StepStarted"; readonly session_id: string; readonly step: number }
  | { readonly _tag: "StepCompleted"; readonly session_id: string; readonly step: number }
  | { readonly _tag: "StepFailed"; readonly session_id: string; readonly step: number; readonly error: string }
  | { readonly _tag: "CeremonyFinished"; readonly session_id: string; readonly status: CeremonyStatus }
