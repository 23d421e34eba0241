import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import {
  ALERT_RULE_NAMES,
  type AlertRule,
  CLEARING_FAILURE_WINDOW_MS,
  DEFAULT_RULES,
  evaluate,
  type OpsSnapshot,
  toggle
} from "../../../core/ops/alerts.machine.js"

const NOW = 1_700_000_000_000

const snapshot: fc.Arbitrary<OpsSnapshot> = fc.record({
  now: fc.constant(NOW),
  inventory: fc.uniqueArray(
    fc.record({ asset_id: fc.stringMatching(/^[a-z]{1,6}$/), available: fc.nat(40), minimum: fc.integer({ min: 1, max: 20 }) }),
    { selector: (i) => i.asset_id, maxLength: 5 }
  ),
  daemons: fc.uniqueArray(
    fc.record({ daemon: fc.constantFrom("arkd", "lnd", "tapd"), adapter: fc.constantFrom("grpc", "simulated"), up: fc.boolean() }),
    { selector: (d) => d.daemon }
  ),
  ceremonies: fc.array(
    fc.record({
      session_id: fc.uuid(),
      started_at: fc.integer({ min: NOW - 900_000, max: NOW }),
      deadline_at: fc.integer({ min: NOW - 600_000, max: NOW + 300_000 })
    }),
    { maxLength: 6 }
  ),
  failedClearings: fc.array(
    fc.record({ token: fc.uuid(), failed_at: fc.integer({ min: NOW - 2 * CLEARING_FAILURE_WINDOW_MS, max: NOW }) }),
    { maxLength: 6 }
  )
})

const rules: fc.Arbitrary<ReadonlyArray<AlertRule>> = fc
  .array(fc.boolean(), { minLength: DEFAULT_RULES.length, maxLength: DEFAULT_RULES.length })
  .map((flags) => DEFAULT_RULES.map((r, i) => ({ ...r, enabled: flags[i]! })))

describe("alert rules", () => {
  it("a disabled rule never fires; an enabled one fires exactly for its breaches", () =>
    fc.assert(
      fc.property(rules, snapshot, (rs, s) => {
        const alerts = evaluate(rs, s)
        const on = (name: string) => rs.find((r) => r.name === name)!.enabled
        for (const a of alerts) expect(on(a.rule)).toBe(true)

        const low = alerts.filter((a) => a.rule === "inventory_low").map((a) => a.subject).sort()
        expect(low).toEqual(on("inventory_low") ? s.inventory.filter((i) => i.available < i.minimum).map((i) => i.asset_id).sort() : [])

        const down = alerts.filter((a) => a.rule === "daemon_down").map((a) => a.subject).sort()
        expect(down).toEqual(on("daemon_down") ? s.daemons.filter((d) => !d.up).map((d) => d.daemon).sort() : [])

        const stuck = alerts.filter((a) => a.rule === "stuck_ceremonies").length
        expect(stuck).toBe(on("stuck_ceremonies") ? s.ceremonies.filter((c) => c.deadline_at < s.now).length : 0)

        const recent = s.failedClearings.filter((f) => s.now - f.failed_at < CLEARING_FAILURE_WINDOW_MS).length
        const clearing = alerts.filter((a) => a.rule === "clearing_failures")
        expect(clearing.length).toBe(on("clearing_failures") && recent > 0 ? 1 : 0)
        if (clearing.length === 1) expect(clearing[0]!.message).toContain(`${recent} clearing`)

        // Severity comes from the rule that fired.
        for (const a of alerts) expect(a.severity).toBe(rs.find((r) => r.name === a.rule)!.severity)
      }),
      { numRuns: 1000 }
    ))

  it("a healthy system raises nothing", () =>
    fc.assert(
      fc.property(snapshot, (s) => {
        const healthy: OpsSnapshot = {
          ...s,
          inventory: s.inventory.map((i) => ({ ...i, available: i.minimum })),
          daemons: s.daemons.map((d) => ({ ...d, up: true })),
          ceremonies: s.ceremonies.map((c) => ({ ...c, deadline_at: Math.max(c.deadline_at, s.now) })),
          failedClearings: []
        }
        expect(evaluate(DEFAULT_RULES, healthy)).toEqual([])
      })
    ))

  it("toggle changes only the named rule, is idempotent, and refuses unknown names", () =>
    fc.assert(
      fc.property(
        rules,
        fc.oneof(fc.constantFrom(...ALERT_RULE_NAMES), fc.string()),
        fc.boolean(),
        (rs, name, enabled) => {
          const result = toggle(rs, name, enabled)
          if (!(ALERT_RULE_NAMES as ReadonlyArray<string>).includes(name)) {
            expect(Either.isLeft(result)).toBe(true)
            return
          }
          const next = Either.getOrThrow(result)
          for (const [i, r] of next.entries()) {
            expect(r.enabled).toBe(r.name === name ? enabled : rs[i]!.enabled)
            expect({ ...r, enabled: true }).toEqual({ ...rs[i]!, enabled: true })
          }
          expect(Either.getOrThrow(toggle(next, name, enabled))).toEqual(next)
        }
      ),
      { numRuns: 1000 }
    ))

  it("turning a rule off silences exactly its alerts", () =>
    fc.assert(
      fc.property(snapshot, fc.constantFrom(...ALERT_RULE_NAMES), (s, name) => {
        const all = evaluate(DEFAULT_RULES, s)
        const off = evaluate(Either.getOrThrow(toggle(DEFAULT_RULES, name, false)), s)
        expect(off).toEqual(all.filter((a) => a.rule !== name))
      })
    ))
})
