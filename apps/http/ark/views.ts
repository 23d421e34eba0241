import { Schema } from "effect"
import { challengeMessageHex } from "../../../core/signing/challenge.js"
import { toIso } from "../../../core/shared/time.js"
import { IntentData, type Session, SessionStatus, SessionType, STEP_COUNT, StepStatus } from "../../../core/signing/model.js"

/** JSON shapes of the ark signing routes: the seed's snake_case fields, instants as ISO-8601. */

const Iso = Schema.String.annotations({ description: "ISO-8601 instant" })

export const ChallengeView = Schema.Struct({
  challenge_id: Schema.String,
  session_id: Schema.String,
  challenge_data: Schema.String.annotations({ description: "Sign sha256(UTF-8 of this string) with BIP-340 Schnorr" }),
  message_hash: Schema.String.annotations({ description: "sha256(challenge_data), hex: the 32-byte message to sign" }),
  context: Schema.String,
  gateway_pubkey: Schema.String,
  expires_at: Iso,
  is_used: Schema.Boolean
})

export const StepView = Schema.Struct({
  step: Schema.Number,
  name: Schema.String,
  status: StepStatus,
  attempts: Schema.Number,
  started_at: Schema.NullOr(Iso),
  completed_at: Schema.NullOr(Iso),
  error: Schema.NullOr(Schema.String)
})

export const CeremonyView = Schema.Struct({
  session_id: Schema.String,
  session_status: SessionStatus,
  status: Schema.Literal("running", "completed", "failed", "cancelled"),
  auto_execute: Schema.Boolean,
  current_step: Schema.NullOr(Schema.Number),
  current_step_name: Schema.NullOr(Schema.String),
  total_steps: Schema.Number,
  completed_steps: Schema.Number,
  progress_percent: Schema.Number,
  started_at: Iso,
  deadline_at: Iso,
  finished_at: Schema.NullOr(Iso),
  error: Schema.NullOr(Schema.String),
  ark_txid: Schema.NullOr(Schema.String),
  steps: Schema.Array(StepView)
})

export const SessionView = Schema.Struct({
  session_id: Schema.String,
  user_pubkey: Schema.String,
  session_type: SessionType,
  status: SessionStatus,
  intent_data: IntentData,
  context: Schema.NullOr(Schema.String),
  created_at: Iso,
  updated_at: Iso,
  expires_at: Iso,
  failed_attempts: Schema.Number,
  challenge: Schema.NullOr(ChallengeView),
  ceremony: Schema.NullOr(CeremonyView),
  result_data: Schema.NullOr(Schema.Unknown),
  signed_tx: Schema.NullOr(Schema.String),
  failure_reason: Schema.NullOr(Schema.String)
})

const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms))

export const challengeView = (s: Session): typeof ChallengeView.Type | null => {
  const c = s.challenge
  return c === null ? null : {
    challenge_id: c.challenge_id,
    session_id: c.session_id,
    challenge_data: c.challenge_data,
    message_hash: challengeMessageHex(c.challenge_data),
    context: c.context,
    gateway_pubkey: c.gateway_pubkey,
    expires_at: toIso(c.expires_at),
    is_used: c.is_used
  }
}

export const ceremonyView = (s: Session): typeof CeremonyView.Type | null => {
  const c = s.ceremony
  if (c === null) return null
  const completed = c.steps.filter((r) => r.status === "completed").length
  const current = c.status === "running" && c.current_step <= STEP_COUNT ? c.current_step : null
  return {
    session_id: s.session_id,
    session_status: s.status,
    status: c.status,
    auto_execute: c.auto,
    current_step: current,
    current_step_name: current === null ? null : c.steps[current - 1]!.name,
    total_steps: STEP_COUNT,
    completed_steps: completed,
    progress_percent: Math.round((completed / STEP_COUNT) * 100),
    started_at: toIso(c.started_at),
    deadline_at: toIso(c.deadline_at),
    finished_at: isoOrNull(c.finished_at),
    error: c.error,
    ark_txid: c.artifacts.ark_txid ?? null,
    steps: c.steps.map((r) => ({ ...r, started_at: isoOrNull(r.started_at), completed_at: isoOrNull(r.completed_at) }))
  }
}

export const sessionView = (s: Session): typeof SessionView.Type => ({
  session_id: s.session_id,
  user_pubkey: s.user_pubkey,
  session_type: s.session_type,
  status: s.status,
  intent_data: s.intent_data,
  context: s.context,
  created_at: toIso(s.created_at),
  updated_at: toIso(s.updated_at),
  expires_at: toIso(s.expires_at),
  failed_attempts: s.failed_attempts,
  challenge: challengeView(s),
  ceremony: ceremonyView(s),
  result_data: s.result_data,
  signed_tx: s.signed_tx,
  failure_reason: s.failure_reason
})
