import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import fc from "fast-check"
import * as Machine from "../../../core/vtxo/machine.js"
import { MAX_BATCH, MIN_AVAILABLE, REPLENISH_RATIO, type Vtxo, VTXO_STATUSES } from "../../../core/vtxo/model.js"

const vtxo = fc.record({
  n: fc.nat(1_000_000),
  amount: fc.bigInt({ min: 1n, max: 5_000n }),
  asset: fc.constantFrom("A", "B"),
  status: fc.constantFrom(...VTXO_STATUSES),
  created: fc.nat(100),
  expires: fc.nat(200)
}).map(({ amount, asset, created, expires, n, status }): Vtxo => ({
  vtxo_id: `${n.toString(16).padStart(64, "0")}:0`,
  txid: n.toString(16).padStart(64, "0"),
  vout: 0,
  amount_sats: amount,
  script_pubkey: "",
  asset_id: asset,
  owner_pubkey: "",
  user_pubkey: null,
  status,
  batch_id: "b",
  created_at: created,
  expires_at: expires,
  assigned_at: null,
  assignment_ref: null,
  spent_at: null,
  spending_txid: status === "spent" ? "t" : null,
  settlement_id: null
}))

describe("vtxo machine (property)", () => {
  it("picks the smallest assignable VTXO covering the amount, and nothing when none does", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(vtxo, { selector: (v) => v.vtxo_id, maxLength: 40 }),
        fc.bigInt({ min: 1n, max: 6_000n }),
        fc.constantFrom("A", "B"),
        fc.nat(200),
        (vtxos, amount, asset, now) => {
          const q = { asset_id: asset, amount, now }
          const picked = Machine.pickSmallestAtLeast(vtxos, q)
          const eligible = vtxos.filter((v) => v.status === "available" && v.asset_id === asset && v.expires_at > now && v.amount_sats >= amount)
          expect(Option.isSome(picked)).toBe(eligible.length > 0)
          if (Option.isSome(picked)) {
            expect(eligible).toContain(picked.value)
            for (const v of eligible) expect(v.amount_sats >= picked.value.amount_sats).toBe(true)
          }
        }
      ),
      { numRuns: 1_000 }
    )
  })

  it("replenishes exactly enough to restore both rules, never more than one batch", () => {
    fc.assert(
      fc.property(fc.nat(400), fc.nat(400), (available, assigned) => {
        const live = available + assigned
        const k = Machine.replenishCount(available, live)
        const ok = (n: number) => available + n >= MIN_AVAILABLE && available + n >= REPLENISH_RATIO * (live + n) - 1e-9
        expect(k >= 0 && k <= MAX_BATCH).toBe(true)
        if (k < MAX_BATCH) {
          expect(ok(k)).toBe(true)
          if (k > 0) expect(ok(k - 1)).toBe(false)
        }
        const status = Machine.inventoryStatus("A", [
          { asset_id: "A", status: "available", count: available, amount_sats: 0n },
          { asset_id: "A", status: "assigned", count: assigned, amount_sats: 0n }
        ])
        expect(status.needs_replenishment).toBe(k > 0)
      }),
      { numRuns: 1_000 }
    )
  })

  it("a VTXO is spent once: the same txid again is a no-op, another txid a conflict, an expired one refused", () => {
    fc.assert(
      fc.property(vtxo, fc.constantFrom("t", "u"), (v, txid) => {
        const out = Machine.markSpent(v, txid, 5)
        if (v.status === "expired") expect(Either.isLeft(out)).toBe(true)
        else if (v.status === "spent") expect(Either.isRight(out)).toBe(txid === v.spending_txid)
        else {
          const spent = Either.getOrThrow(out)
          expect(spent).toMatchObject({ status: "spent", spending_txid: txid, spent_at: 5 })
          expect(Machine.markSpent(spent, txid, 9)).toEqual(Either.right(spent))
        }
      }),
      { numRuns: 500 }
    )
  })
})
