import type { Ceremony, CeremonyStepName, StepStatus } from "../signing/model.js"

export type StepOutcome = Extract<StepStatus, "completed" | "failed">
export type CeremonyOutcome = "completed" | "failed" | "cancelled"

export interface CeremonyOutcomes {
  readonly steps: ReadonlyArray<{ readonly step: CeremonyStepName; readonly outcome: StepOutcome }>
  readonly ceremony: CeremonyOutcome | null
}

const ended = (s: StepStatus): s is StepOutcome => s === "completed" || s === "failed"

/**
 * What ended between two versions of one session's ceremony: steps that
 * reached completed or failed, and the ceremony itself if it reached a
 * terminal status. Comparing versions (not reading events) counts each ending
 * once however many times the session is saved or polled afterwards.
 */
export const ceremonyOutcomes = (before: Ceremony | null, after: Ceremony | null): CeremonyOutcomes => {
  if (after === null) return { steps: [], ceremony: null }
  const steps = after.steps.flatMap((s) => {
    const previous = before?.steps.find((p) => p.step === s.step)?.status
    return ended(s.status) && previous !== s.status ? [{ step: s.name, outcome: s.status }] : []
  })
  const ceremony = after.status !== "running" && (before === null || before.status !== after.status || before.started_at !== after.started_at)
    ? after.status
    : null
  return { steps, ceremony }
}
