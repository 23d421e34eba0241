import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import * as Ceremony from "../../../core/signing/ceremony.machine.js"
import { applyWithDeadlines } from "../../../core/signing/deadlines.js"
import * as Machine from "../../../core/signing/machine.js"
import {
  CEREMONY_TIMEOUT_MS,
  MAX_FAILED_ATTEMPTS,
  type Session,
  type SessionStatus,
  STEP_COUNT,
  STEP_TIMEOUT_MS,
  type XOnlyPubkey
} from "../../../core/signing/model.js"

const SESSION_TTL = 30 * 60_000
const CHALLENGE_TTL = 5 * 60_000

type Cmd =
  | { readonly t: "advance"; readonly ms: number }
  | { readonly t: "challenge" }
  | { readonly t: "respond"; readonly valid: boolean; readonly stale: boolean }
  | { readonly t: "complete" }
  | { readonly t: "fail" }
  | { readonly t: "start"; readonly auto: boolean }
  | { readonly t: "begin"; readonly step: number }
  | { readonly t: "finish"; readonly step: number; readonly ok: boolean }
  | { readonly t: "cancel" }

/** 0 means "the ceremony's current step", so random runs get through all six. */
const step = fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, fc.integer({ min: 1, max: STEP_COUNT + 1 }))
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    // Mostly seconds (steps, challenges), sometimes long enough to pass the session's deadline.
    arbitrary: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 70_000 }), weight: 5 }, fc.integer({ min: 0, max: 2_400_000 }))
      .map((ms) => ({ t: "advance" as const, ms })),
    weight: 3
  },
  { arbitrary: fc.constant({ t: "challenge" as const }), weight: 2 },
  {
    arbitrary: fc.record({ valid: fc.boolean(), stale: fc.nat(9).map((n) => n < 2) }).map((r) => ({ t: "respond" as const, ...r })),
    weight: 3
  },
  fc.constant({ t: "complete" as const }),
  fc.constant({ t: "fail" as const }),
  fc.boolean().map((auto) => ({ t: "start" as const, auto })),
  { arbitrary: step.map((s) => ({ t: "begin" as const, step: s })), weight: 4 },
  { arbitrary: fc.record({ step, ok: fc.nat(9).map((n) => n > 0) }).map((r) => ({ t: "finish" as const, ...r })), weight: 4 },
  fc.constant({ t: "cancel" as const })
)

/** The full happy path of workflow 1, which purely random sequences rarely complete. */
const HAPPY: ReadonlyArray<Cmd> = [
  { t: "challenge" },
  { t: "respond", valid: true, stale: false },
  { t: "start", auto: false },
  ...Array.from({ length: STEP_COUNT }, (): ReadonlyArray<Cmd> => [{ t: "begin", step: 0 }, { t: "finish", step: 0, ok: true }]).flat()
]

/** Either a random sequence, or the happy path with random commands inserted anywhere. */
const scenario: fc.Arbitrary<ReadonlyArray<Cmd>> = fc.oneof(
  fc.array(cmd, { minLength: 10, maxLength: 80, size: "max" }),
  fc.array(fc.tuple(fc.nat(), cmd), { maxLength: 12 }).map((noise) => {
    const out = [...HAPPY]
    for (const [at, c] of noise) out.splice(at % (out.length + 1), 0, c)
    return out
  })
)

/** The reference model: only what a client can observe, written as plainly as possible. */
interface Model {
  status: SessionStatus
  expiresAt: number
  challenge: { id: number; expiresAt: number; used: boolean } | null
  attempts: number
  ceremony: null | { status: string; current: number; running: boolean; stepStartedAt: number; deadline: number }
}

const terminal = (s: SessionStatus) => s === "completed" || s === "failed" || s === "expired"

const modelStep = (m: Model, c: Cmd, now: number, challengeSeq: number): void => {
  if ((c.t === "begin" || c.t === "finish") && c.step === 0) c = { ...c, step: m.ceremony?.current ?? 1 }
  if (!terminal(m.status) && m.status !== "signing" && now >= m.expiresAt) {
    m.status = "expired"
    return
  }
  const cer = m.ceremony
  if (cer && cer.status === "running" && (now >= cer.deadline || (cer.running && now >= cer.stepStartedAt + STEP_TIMEOUT_MS))) {
    cer.status = "failed"
    cer.running = false
    m.status = "failed"
  }
  switch (c.t) {
    case "advance":
      return
    case "challenge": {
      const reissue = m.status === "challenge_sent" && m.challenge !== null && !m.challenge.used && now >= m.challenge.expiresAt
      if (m.status === "initiated" || reissue) {
        m.status = "challenge_sent"
        m.challenge = { id: challengeSeq, expiresAt: Math.min(now + CHALLENGE_TTL, m.expiresAt), used: false }
      }
      return
    }
    case "respond": {
      const ch = m.challenge
      if (ch === null || ch.used || m.status !== "challenge_sent" || c.stale || now >= ch.expiresAt) return
      if (c.valid) {
        ch.used = true
        m.status = "awaiting_signature"
      } else if (++m.attempts >= MAX_FAILED_ATTEMPTS) {
        m.status = "failed"
      }
      return
    }
    case "complete":
      if (m.status === "awaiting_signature") m.status = "completed"
      return
    case "fail":
      if (!terminal(m.status)) {
        if (cer && cer.status === "running") cer.status = "cancelled"
        m.status = "failed"
      }
      return
    case "start":
      if (cer === null && m.status === "awaiting_signature") {
        m.status = "signing"
        m.ceremony = { status: "running", current: 1, running: false, stepStartedAt: 0, deadline: now + CEREMONY_TIMEOUT_MS }
      }
      return
    case "begin":
      if (cer && cer.status === "running" && c.step === cer.current && !cer.running) {
        cer.running = true
        cer.stepStartedAt = now
      }
      return
    case "finish":
      if (!cer || cer.status !== "running" || cer.current !== c.step) return
      if (!c.ok) {
        cer.status = "failed"
        cer.running = false
        m.status = "failed"
      } else if (cer.running) {
        cer.running = false
        cer.current++
        if (c.step === STEP_COUNT) {
          cer.status = "completed"
          m.status = "completed"
        }
      }
      return
    case "cancel":
      if (cer && cer.status === "running") {
        cer.status = "cancelled"
        cer.running = false
        m.status = "failed"
      }
      return
  }
}

const LEGAL: ReadonlySet<string> = new Set([
  "initiated>challenge_sent",
  "challenge_sent>awaiting_signature",
  "awaiting_signature>signing",
  "awaiting_signature>completed",
  "signing>completed",
  ...["initiated", "challenge_sent", "awaiting_signature", "signing"].flatMap((s) => [`${s}>failed`]),
  ...["initiated", "challenge_sent", "awaiting_signature"].map((s) => `${s}>expired`)
])

const fresh = (): Session => {
  const d = Machine.create({
    session_id: "s1",
    user_pubkey: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" as XOnlyPubkey,
    session_type: "p2p_transfer",
    intent_data: { recipient_pubkey: "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", amount: 1000 },
    ttl_ms: SESSION_TTL
  }, 0)
  return Either.getOrThrow(d).session
}

/** Runs one command through the real machines the way the service does (deadlines first). */
const apply = (s: Session, c: Cmd, now: number, challengeSeq: number, oldChallengeId: string) => {
  if ((c.t === "begin" || c.t === "finish") && c.step === 0) c = { ...c, step: s.ceremony?.current_step ?? 1 }
  const decide = (cur: Session, at: number): Either.Either<Machine.Decision & { accepted?: boolean }, unknown> => {
    switch (c.t) {
      case "advance":
        return Either.right({ session: cur, events: [] })
      case "challenge":
        return Machine.issueChallenge(cur, { challenge_id: `c${challengeSeq}`, nonce: "00", gateway_pubkey: "g", ttl_ms: CHALLENGE_TTL }, at)
      case "respond":
        return Machine.respond(cur, {
          challenge_id: c.stale ? oldChallengeId : cur.challenge?.challenge_id ?? "",
          user_pubkey: cur.user_pubkey,
          signature: "ab".repeat(64),
          valid: c.valid
        }, at)
      case "complete":
        return Machine.complete(cur, { done: true }, at)
      case "fail":
        return Machine.fail(cur, "client", at)
      case "start":
        return Ceremony.start(cur, c.auto, at)
      case "begin":
        return Ceremony.beginStep(cur, c.step, at)
      case "finish":
        return c.ok ? Ceremony.completeStep(cur, c.step, {}, at) : Ceremony.failStep(cur, c.step, "boom", at)
      case "cancel":
        return Ceremony.cancel(cur, "client", at)
    }
  }
  return applyWithDeadlines(s, now, decide)
}

describe("signing machines (property)", () => {
  it("agree with the reference model, take only legal transitions, use a challenge once and let deadlines win", () => {
    const reached = { completedByCeremony: 0, failedBySignatures: 0, expired: 0, ceremonyTimedOut: 0, reissued: 0 }
    fc.assert(
      fc.property(scenario, (cmds) => {
        let s = fresh()
        let now = 0
        let challengeSeq = 0
        const model: Model = { status: "initiated", expiresAt: SESSION_TTL, challenge: null, attempts: 0, ceremony: null }
        const accepted = new Set<string>()
        for (const c of cmds) {
          if (c.t === "advance") now += c.ms
          if (c.t === "challenge") challengeSeq++
          const before = s
          const out = apply(s, c, now, challengeSeq, "c-stale")
          modelStep(model, c, now, challengeSeq)
          if (Either.isRight(out)) s = out.right.session

          // The service's check before it verifies refuses exactly what the transition itself would.
          for (const [challengeId, pubkey] of [[s.challenge?.challenge_id ?? "", s.user_pubkey], ["c-stale", s.user_pubkey], [s.challenge?.challenge_id ?? "", "ff".repeat(32)]] as const) {
            const refusal = Machine.respondRefusal(s, { challenge_id: challengeId, user_pubkey: pubkey }, now)
            for (const valid of [true, false]) {
              const decided = Machine.respond(s, { challenge_id: challengeId, user_pubkey: pubkey, signature: "ab".repeat(64), valid }, now)
              expect(Either.isLeft(decided) ? decided.left : undefined).toEqual(refusal)
            }
          }

          expect(s.status).toBe(model.status)
          expect(s.ceremony?.status ?? null).toBe(model.ceremony?.status ?? null)
          if (model.ceremony !== null) expect(s.ceremony!.current_step).toBe(model.ceremony.current)

          if (before.status !== s.status) expect(LEGAL.has(`${before.status}>${s.status}`)).toBe(true)
          if (terminal(before.status)) expect(s).toEqual(before)

          const result = Either.isRight(out) ? out.right.result : undefined
          if (c.t === "respond" && result && Either.isRight(result) && result.right.accepted) {
            const id = before.challenge!.challenge_id
            expect(accepted.has(id)).toBe(false)
            accepted.add(id)
            expect(now).toBeLessThan(before.challenge!.expires_at)
            expect(now).toBeLessThan(before.expires_at)
          }
          if (before.status !== s.status) {
            if (s.status === "completed" && s.ceremony !== null) reached.completedByCeremony++
            if (s.status === "failed" && s.failed_attempts >= MAX_FAILED_ATTEMPTS) reached.failedBySignatures++
            if (s.status === "expired") reached.expired++
            if (s.ceremony?.error?.includes("timed out")) reached.ceremonyTimedOut++
          }
          if (before.challenge && s.challenge && before.challenge.challenge_id !== s.challenge.challenge_id) reached.reissued++
          // The ceremony's steps complete strictly in order.
          if (s.ceremony) {
            const done = s.ceremony.steps.map((r) => r.status === "completed")
            expect(done.indexOf(false) === -1 || done.slice(done.indexOf(false)).every((d) => !d)).toBe(true)
          }
        }
      }),
      { numRuns: 1000 }
    )
    // The runs must actually reach every interesting end, or they prove little.
    for (const [path, n] of Object.entries(reached)) expect(n, path).toBeGreaterThan(0)
  })

  it("a session waiting on its user is expired by the first command after its deadline, whatever the command", () => {
    fc.assert(
      fc.property(cmd.filter((c) => c.t !== "advance"), fc.integer({ min: 0, max: 10 * SESSION_TTL }), (c, late) => {
        const s = fresh()
        const out = apply(s, c, SESSION_TTL + late, 1, "c-stale")
        expect(Either.isRight(out) && out.right.session.status).toBe("expired")
        expect(Either.isRight(out) && Either.isLeft(out.right.result) && out.right.result.left).toMatchObject({ _tag: "SessionExpired" })
      })
    )
  })

  /** Instants concentrated around a deadline, where off-by-one mistakes live. */
  const around = (deadline: number) =>
    fc.oneof(fc.integer({ min: deadline - 2_000, max: deadline + 2_000 }), fc.integer({ min: 0, max: 2 * deadline }))

  it("a valid response is accepted exactly when it arrives before the challenge expires", () => {
    fc.assert(
      fc.property(around(CHALLENGE_TTL), (t) => {
        const issued = apply(fresh(), { t: "challenge" }, 0, 1, "c-stale")
        const s = Either.getOrThrow(issued).session
        const out = apply(s, { t: "respond", valid: true, stale: false }, t, 1, "c-stale")
        const accepted = Either.isRight(out) && Either.isRight(out.right.result) && out.right.session.status === "awaiting_signature"
        expect(accepted).toBe(t < CHALLENGE_TTL)
      }),
      { numRuns: 500 }
    )
  })

  it("a running ceremony fails exactly at its overall deadline and at its step deadline", () => {
    fc.assert(
      fc.property(around(CEREMONY_TIMEOUT_MS), around(STEP_TIMEOUT_MS), (t, stepAge) => {
        let s = Either.getOrThrow(apply(fresh(), { t: "challenge" }, 0, 1, "x")).session
        s = Either.getOrThrow(apply(s, { t: "respond", valid: true, stale: false }, 0, 1, "x")).session
        s = Either.getOrThrow(apply(s, { t: "start", auto: true }, 0, 1, "x")).session
        const idle = Either.getOrThrow(apply(s, { t: "advance", ms: 0 }, t, 1, "x")).session
        expect(idle.status === "failed").toBe(t >= CEREMONY_TIMEOUT_MS)
        const running = Either.getOrThrow(apply(s, { t: "begin", step: 1 }, 0, 1, "x")).session
        const later = Either.getOrThrow(apply(running, { t: "advance", ms: 0 }, stepAge, 1, "x")).session
        expect(later.status === "failed").toBe(stepAge >= STEP_TIMEOUT_MS)
      }),
      { numRuns: 500 }
    )
  })
})
