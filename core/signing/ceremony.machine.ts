import { Either, Option } from "effect"
import { CeremonyNotFound, InvalidSessionState, StepOutOfOrder } from "./errors.js"
import { changeStatus, type Decision } from "./machine.js"
import {
  type Ceremony,
  type CeremonyArtifacts,
  CEREMONY_STEPS,
  CEREMONY_TIMEOUT_MS,
  type Session,
  STEP_COUNT,
  STEP_TIMEOUT_MS,
  type StepRecord
} from "./model.js"

const invalidState = (s: Session, action: string, detail?: string) =>
  new InvalidSessionState({ session_id: s.session_id, status: s.status, action, ...(detail ? { detail } : {}) })

const withCeremony = (s: Session, ceremony: Ceremony, now: number): Session => ({ ...s, ceremony, updated_at: now })

const replaceStep = (c: Ceremony, step: number, patch: Partial<StepRecord>): ReadonlyArray<StepRecord> =>
  c.steps.map((r) => (r.step === step ? { ...r, ...patch } : r))

/** A ceremony as it starts at `now`: every step pending, step 1 next. */
export const newCeremony = (auto: boolean, now: number): Ceremony => ({
  status: "running",
  auto,
  started_at: now,
  deadline_at: now + CEREMONY_TIMEOUT_MS,
  current_step: 1,
  steps: CEREMONY_STEPS.map((name, i) => ({
    step: i + 1,
    name,
    status: "pending",
    attempts: 0,
    started_at: null,
    completed_at: null,
    error: null
  })),
  artifacts: {},
  finished_at: null,
  error: null
})

/**
 * Starts the ceremony for a session whose signature was verified. Starting
 * again is a no-op that returns the ceremony as it is, so a client retrying a
 * lost response never gets a spurious conflict.
 */
export const start = (s: Session, auto: boolean, now: number): Either.Either<Decision, InvalidSessionState> => {
  if (s.ceremony !== null) return Either.right({ session: s, events: [] })
  if (s.status !== "awaiting_signature") {
    return Either.left(invalidState(s, "start the signing ceremony", "the session must be awaiting_signature"))
  }
  return Either.right(changeStatus(s, "signing", now, { ceremony: newCeremony(auto, now) }))
}

const runningCeremony = (
  s: Session,
  action: string
): Either.Either<Ceremony, CeremonyNotFound | InvalidSessionState> => {
  if (s.ceremony === null) return Either.left(new CeremonyNotFound({ session_id: s.session_id }))
  if (s.ceremony.status !== "running") return Either.left(invalidState(s, action, `the ceremony is ${s.ceremony.status}`))
  return Either.right(s.ceremony)
}

/**
 * Marks step `step` running. Steps run strictly in order. `resume` re-begins a
 * step that was running when the process stopped (its effects on arkd are
 * idempotent, so running it again is safe).
 */
export const beginStep = (
  s: Session,
  step: number,
  now: number,
  resume = false
): Either.Either<Decision, CeremonyNotFound | InvalidSessionState | StepOutOfOrder> =>
  Either.flatMap(runningCeremony(s, `run step ${step}`), (c): Either.Either<Decision, InvalidSessionState | StepOutOfOrder> => {
    if (step !== c.current_step) {
      return Either.left(new StepOutOfOrder({ session_id: s.session_id, requested: step, expected: c.current_step }))
    }
    const record = c.steps[step - 1]!
    if (record.status === "running" && !resume) {
      return Either.left(invalidState(s, `run step ${step}`, "the step is already running"))
    }
    const ceremony = {
      ...c,
      steps: replaceStep(c, step, { status: "running", started_at: now, attempts: record.attempts + 1, error: null })
    }
    return Either.right({
      session: withCeremony(s, ceremony, now),
      events: [{ _tag: "StepStarted", session_id: s.session_id, step }]
    })
  })

export interface CompletedResult {
  readonly ark_txid: string
  readonly signed_tx: string
}

/**
 * Records a step's output. The last step completes the ceremony and the
 * session; the final ark txid becomes the session's result.
 */
export const completeStep = (
  s: Session,
  step: number,
  artifacts: Partial<CeremonyArtifacts>,
  now: number
): Either.Either<Decision, CeremonyNotFound | InvalidSessionState> =>
  Either.flatMap(runningCeremony(s, `complete step ${step}`), (c): Either.Either<Decision, InvalidSessionState> => {
    if (c.current_step !== step || c.steps[step - 1]!.status !== "running") {
      return Either.left(invalidState(s, `complete step ${step}`, "the step is not running"))
    }
    const merged: Ceremony = {
      ...c,
      current_step: step + 1,
      artifacts: { ...c.artifacts, ...artifacts },
      steps: replaceStep(c, step, { status: "completed", completed_at: now })
    }
    const stepDone = { _tag: "StepCompleted", session_id: s.session_id, step } as const
    if (step < STEP_COUNT) {
      return Either.right({ session: withCeremony(s, merged, now), events: [stepDone] })
    }
    const ceremony: Ceremony = { ...merged, status: "completed", finished_at: now }
    const a = ceremony.artifacts
    const next = changeStatus(s, "completed", now, {
      ceremony,
      result_data: {
        ark_txid: a.ark_txid ?? null,
        recipient_pubkey: a.recipient_pubkey ?? null,
        amount: a.amount === undefined ? null : Number(a.amount),
        asset_id: a.asset_id ?? null
      },
      signed_tx: a.final_ark_tx ?? null
    })
    return Either.right({
      session: next.session,
      events: [stepDone, ...next.events, { _tag: "CeremonyFinished", session_id: s.session_id, status: "completed" }]
    })
  })

const finishFailed = (
  s: Session,
  c: Ceremony,
  status: "failed" | "cancelled",
  reason: string,
  now: number,
  steps: ReadonlyArray<StepRecord> = c.steps
): Decision => {
  const ceremony: Ceremony = { ...c, steps, status, finished_at: now, error: reason }
  const next = changeStatus(s, "failed", now, { ceremony, failure_reason: reason })
  return { session: next.session, events: [...next.events, { _tag: "CeremonyFinished", session_id: s.session_id, status }] }
}

/** A step failed: the ceremony and the session fail with its reason. */
export const failStep = (
  s: Session,
  step: number,
  reason: string,
  now: number
): Either.Either<Decision, CeremonyNotFound | InvalidSessionState> =>
  Either.flatMap(runningCeremony(s, `fail step ${step}`), (c): Either.Either<Decision, InvalidSessionState> => {
    if (c.current_step !== step) return Either.left(invalidState(s, `fail step ${step}`, "the step is not current"))
    const d = finishFailed(s, c, "failed", `step ${step} (${CEREMONY_STEPS[step - 1]}) failed: ${reason}`, now,
      replaceStep(c, step, { status: "failed", completed_at: now, error: reason }))
    return Either.right({ ...d, events: [{ _tag: "StepFailed", session_id: s.session_id, step, error: reason }, ...d.events] })
  })

export const cancel = (
  s: Session,
  reason: string,
  now: number
): Either.Either<Decision, CeremonyNotFound | InvalidSessionState> =>
  Either.map(runningCeremony(s, "cancel the ceremony"), (c) => finishFailed(s, c, "cancelled", `cancelled: ${reason}`, now))

/**
 * The deadlines: 60 s for a running step, 300 s for the whole ceremony. A
 * ceremony past either fails, whatever its step was doing; this is what keeps
 * a hung daemon or a crashed process from leaving a session in `signing`.
 */
export const timeoutIfDue = (s: Session, now: number): Option.Option<Decision> => {
  const c = s.ceremony
  if (c === null || c.status !== "running") return Option.none()
  if (now >= c.deadline_at) return Option.some(finishFailed(s, c, "failed", "ceremony timed out after 300 s", now))
  const running = c.steps.find((r) => r.status === "running")
  if (running !== undefined && running.started_at !== null && now >= running.started_at + STEP_TIMEOUT_MS) {
    return Option.some(
      finishFailed(s, c, "failed", `step ${running.step} (${running.name}) timed out after 60 s`, now,
        replaceStep(c, running.step, { status: "failed", completed_at: now, error: "timed out" }))
    )
  }
  return Option.none()
}
