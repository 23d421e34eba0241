import { describe, expect, it } from "@effect/vitest"
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js"
import { base64, hex } from "@scure/base"
import { Script, Transaction } from "@scure/btc-signer"
import { Either } from "effect"
import fc from "fast-check"
import {
  ArkTxInvalid,
  buildOffchainTx,
  exitSequence,
  type OffchainTxParams,
  readOffchainTx,
  selectInputs,
  validateOffchainTx,
  verifyTapscriptSignature,
  vtxoScript
} from "../../../core/signing/ark-tx.js"
import type { VtxoInput } from "../../../core/signing/model.js"

const DUST = 330n
const DELAY = 512n

const secretKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k))
const party = secretKey.map((sk) => ({ sk, pub: hex.encode(schnorr.getPublicKey(sk)) }))
const txid = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hex.encode(b))

const sum = (xs: ReadonlyArray<{ amount: bigint }>) => xs.reduce((a, x) => a + x.amount, 0n)
const key = (v: VtxoInput) => `${v.txid}:${v.vout}`

describe("selectInputs", () => {
  const vtxos = fc.uniqueArray(
    fc.record({ txid, vout: fc.nat(3), amount: fc.bigInt({ min: 1n, max: 100_000n }), script: fc.constant("51") }),
    { selector: key, maxLength: 12 }
  )

  it("covers the amount with the smallest sufficient VTXO, else with inputs none of which could be dropped", () => {
    fc.assert(fc.property(vtxos, fc.bigInt({ min: 1n, max: 400_000n }), (available, amount) => {
      Either.match(selectInputs(available, amount), {
        onLeft: (e) => {
          expect(sum(available)).toBeLessThan(amount)
          expect(e.available).toBe(sum(available))
        },
        onRight: (picked) => {
          expect(sum(picked)).toBeGreaterThanOrEqual(amount)
          expect(new Set(picked.map(key)).size).toBe(picked.length)
          for (const p of picked) expect(available.map(key)).toContain(key(p))
          const sufficient = available.filter((v) => v.amount >= amount)
          if (sufficient.length > 0) {
            expect(picked).toHaveLength(1)
            expect(picked[0]!.amount).toBe(sufficient.reduce((m, v) => (v.amount < m ? v.amount : m), sufficient[0]!.amount))
          } else {
            for (const p of picked) expect(sum(picked) - p.amount).toBeLessThan(amount)
          }
        }
      })
    }), { numRuns: 1000 })
  })

  it("does not depend on the order VTXOs are listed in", () => {
    const listed = vtxos.chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length, maxLength: a.length })))
    fc.assert(fc.property(listed, fc.bigInt({ min: 1n, max: 400_000n }), ([available, shuffled], amount) => {
      expect(selectInputs(shuffled, amount)).toEqual(selectInputs(available, amount))
    }))
  })
})

/** A transfer whose amount leaves either no change or change at or above dust. */
const transfer = fc
  .record({
    owner: party,
    recipient: party,
    server: party,
    amounts: fc.array(fc.bigInt({ min: DUST, max: 50_000n }), { minLength: 1, maxLength: 4 }),
    txids: fc.uniqueArray(txid, { minLength: 4, maxLength: 4 }),
    cut: fc.bigInt({ min: 0n, max: 1_000_000n })
  })
  .map(({ amounts, cut, owner, recipient, server, txids }) => {
    const inputs: Array<VtxoInput> = amounts.map((amount, i) => ({
      txid: txids[i]!,
      vout: i,
      amount,
      script: vtxoScript(owner.pub, server.pub, DELAY)
    }))
    const total = sum(inputs)
    const spread = total - DUST
    const raw = DUST + (spread === 0n ? 0n : cut % (spread + 1n))
    const amount = total - raw > 0n && total - raw < DUST ? total : raw
    return {
      owner,
      recipient,
      server,
      params: { inputs, ownerPubkey: owner.pub, recipientPubkey: recipient.pub, amount, serverPubkey: server.pub, exitDelay: DELAY }
    }
  })

const build = (t: { readonly params: OffchainTxParams }) => Either.getOrThrow(buildOffchainTx({ ...t.params, dust: DUST }))

describe("buildOffchainTx / validateOffchainTx", () => {
  it("builds txs that conserve value and pass validation", () => {
    fc.assert(fc.property(transfer, (t) => {
      const built = build(t)
      expect(built.checkpointTxs).toHaveLength(t.params.inputs.length)
      const view = Either.getOrThrow(readOffchainTx(built.arkTx, built.checkpointTxs))
      expect(sum(view.outputs)).toBe(sum(t.params.inputs))
      expect(view.outputs[0]!.amount).toBe(t.params.amount)
      const change = sum(t.params.inputs) - t.params.amount
      expect(view.outputs).toHaveLength(change > 0n ? 2 : 1)
      const { arkTxid } = Either.getOrThrow(validateOffchainTx({ ...t.params, ...built }))
      expect(arkTxid).toBe(Transaction.fromPSBT(base64.decode(built.arkTx), { allowUnknownOutputs: true }).id)
    }), { numRuns: 40 })
  })

  it("rejects a wrong amount, a wrong recipient, a substituted or missing checkpoint", () => {
    fc.assert(fc.property(transfer, transfer, party, (t, other, stranger) => {
      const built = build(t)
      const foreign = build(other).checkpointTxs[0]!
      fc.pre(stranger.pub !== t.recipient.pub && !built.checkpointTxs.includes(foreign))
      const ok = { ...t.params, ...built }
      expect(Either.isLeft(validateOffchainTx({ ...ok, amount: t.params.amount + 1n }))).toBe(true)
      expect(Either.isLeft(validateOffchainTx({ ...ok, recipientPubkey: stranger.pub }))).toBe(true)
      const substituted = [foreign, ...built.checkpointTxs.slice(1)]
      expect(Either.isLeft(validateOffchainTx({ ...ok, checkpointTxs: substituted }))).toBe(true)
      expect(Either.isLeft(validateOffchainTx({ ...ok, checkpointTxs: built.checkpointTxs.slice(1) }))).toBe(true)
    }), { numRuns: 25 })
  })

  it("rejects an ark tx built for other inputs or another amount than the one validated", () => {
    fc.assert(fc.property(transfer, (t) => {
      const built = build(t)
      const [first, ...rest] = t.params.inputs
      const richer = { ...t.params, inputs: [{ ...first!, amount: first!.amount + DUST }, ...rest] }
      const otherTx = Either.getOrThrow(buildOffchainTx({ ...richer, dust: DUST }))
      expect(Either.isLeft(validateOffchainTx({ ...t.params, ...otherTx }))).toBe(true)
      expect(Either.isLeft(validateOffchainTx({ ...t.params, arkTx: otherTx.arkTx, checkpointTxs: built.checkpointTxs }))).toBe(true)
    }), { numRuns: 25 })
  })

  it("refuses amounts that are not positive or below dust, sub-dust change, bad keys and foreign inputs", () => {
    const t = fc.sample(transfer, { numRuns: 1, seed: 7 })[0]!
    const base = { ...t.params, inputs: [{ ...t.params.inputs[0]!, amount: 10_000n }], amount: 5_000n, dust: DUST }
    const reason = (p: Parameters<typeof buildOffchainTx>[0]) =>
      Either.match(buildOffchainTx(p), { onLeft: (e) => e.reason, onRight: () => "built" })
    expect(reason(base)).toBe("built")
    expect(reason({ ...base, amount: 0n })).toMatch(/positive/)
    expect(reason({ ...base, amount: -5n })).toMatch(/positive/)
    expect(reason({ ...base, amount: DUST - 1n })).toMatch(/below dust/)
    expect(reason({ ...base, amount: 10_000n - DUST + 1n })).toMatch(/change .* below dust/)
    expect(reason({ ...base, amount: 10_001n })).toMatch(/less than/)
    // BIP-340 vector 5's key is not on the curve.
    expect(reason({ ...base, recipientPubkey: "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34" })).toMatch(/recipient/)
    expect(reason({ ...base, recipientPubkey: "02" + t.recipient.pub })).toMatch(/recipient/)
    expect(reason({ ...base, inputs: [{ ...base.inputs[0]!, script: vtxoScript(t.recipient.pub, t.server.pub, DELAY) }] })).toMatch(/not a VTXO of/)
    expect(reason({ ...base, inputs: [] })).toMatch(/no inputs/)
    expect(reason({ ...base, exitDelay: 0n })).toMatch(/exit delay/)
  })
})

describe("verifyTapscriptSignature", () => {
  it("accepts the owner's script-path signature and nothing else", () => {
    const t = fc.sample(transfer, { numRuns: 1, seed: 11 })[0]!
    const built = build(t)
    const verify = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => schnorr.verify(sig, msg, pub)
    expect(verifyTapscriptSignature(built.arkTx, 0, t.owner.pub, verify)).toBe(false)
    const tx = Transaction.fromPSBT(base64.decode(built.arkTx), { allowUnknownOutputs: true })
    tx.sign(t.owner.sk)
    const signed = base64.encode(tx.toPSBT())
    for (let i = 0; i < t.params.inputs.length; i++) {
      expect(verifyTapscriptSignature(signed, i, t.owner.pub, verify)).toBe(true)
      expect(verifyTapscriptSignature(signed, i, t.server.pub, verify)).toBe(false)
    }
    expect(verifyTapscriptSignature(signed, t.params.inputs.length, t.owner.pub, verify)).toBe(false)
    expect(verifyTapscriptSignature(signed, 0, t.owner.pub, () => false)).toBe(false)
    expect(verifyTapscriptSignature("not a psbt", 0, t.owner.pub, verify)).toBe(false)
  })
})

describe("exit delays (BIP-68 relative locktimes as arkd reports them)", () => {
  /** The CHECKSEQUENCEVERIFY operand of the recipient's exit leaf in a transfer built with `exitDelay`. */
  const recipientExitLeaf = (exitDelay: bigint) => {
    const t = fc.sample(transfer, { numRuns: 1, seed: 3 })[0]!
    const params = { ...t.params, exitDelay, inputs: t.params.inputs.map((i) => ({ ...i, script: vtxoScript(t.owner.pub, t.server.pub, exitDelay) })) }
    const built = Either.getOrThrow(buildOffchainTx({ ...params, dust: DUST }))
    const view = Either.getOrThrow(readOffchainTx(built.arkTx, built.checkpointTxs))
    const leaves = view.outputs[0]!.leaves.map((l) => Script.decode(hex.decode(l)))
    const exit = leaves.find((ops) => ops[1] === "CHECKSEQUENCEVERIFY")
    return { exit, recipient: t.recipient.pub, server: t.server.pub }
  }

  it("a 512-second delay is one 512 s unit with the type flag: nSequence 0x00400001 in the CSV leaf", () => {
    expect(exitSequence(512n)).toBe(0x00400001)
    const { exit, recipient } = recipientExitLeaf(512n)
    expect(exit).toEqual([Uint8Array.of(0x01, 0x00, 0x40), "CHECKSEQUENCEVERIFY", "DROP", hex.decode(recipient), "CHECKSIG"])
  })

  it("a 1024-second delay is two units: nSequence 0x00400002 in the CSV leaf", () => {
    expect(exitSequence(1024n)).toBe(0x00400002)
    const { exit, recipient } = recipientExitLeaf(1024n)
    expect(exit).toEqual([Uint8Array.of(0x02, 0x00, 0x40), "CHECKSEQUENCEVERIFY", "DROP", hex.decode(recipient), "CHECKSIG"])
  })

  it("below 512 the delay counts blocks, and a seconds delay never yields the script of a block delay", () => {
    expect(exitSequence(511n)).toBe(511)
    expect(exitSequence(144n)).toBe(144)
    const { exit } = recipientExitLeaf(144n)
    expect(exit?.[0]).toEqual(Uint8Array.of(0x90, 0x00))
    const [a, b] = [recipientExitLeaf(1n), recipientExitLeaf(512n)]
    expect(a.exit).not.toEqual(b.exit)
  })

  /** BIP-68's reading of an nSequence: disabled flag clear, type flag, 16-bit value; the delay it enforces. */
  const enforcedDelay = (sequence: number): bigint => {
    expect(sequence & 0x80000000).toBe(0)
    expect(sequence & ~(0x00400000 | 0xffff)).toBe(0)
    const value = BigInt(sequence & 0xffff)
    return (sequence & 0x00400000) !== 0 ? value * 512n : value
  }

  it("over the block/seconds boundary every accepted delay round-trips through BIP-68 and all others are refused", () => {
    const delay = fc.oneof(
      fc.bigInt({ min: -2n, max: 2_048n }),
      fc.bigInt({ min: 1n, max: 0xffffn + 2n }).map((units) => units * 512n),
      fc.bigInt({ min: 0n, max: 0xffffn * 512n + 1_024n })
    )
    fc.assert(fc.property(delay, (d) => {
      const valid = (d >= 1n && d < 512n) || (d >= 512n && d % 512n === 0n && d <= 0xffffn * 512n)
      if (!valid) {
        expect(() => exitSequence(d)).toThrow(ArkTxInvalid)
        return
      }
      const sequence = exitSequence(d)
      expect(enforcedDelay(sequence)).toBe(d)
      expect((sequence & 0x00400000) !== 0).toBe(d >= 512n)
    }), { numRuns: 2_000 })
  })

  it("distinct delays give distinct VTXO scripts", () => {
    const server = hex.encode(schnorr.getPublicKey(secp256k1.utils.randomSecretKey()))
    const owner = hex.encode(schnorr.getPublicKey(secp256k1.utils.randomSecretKey()))
    const valid = fc.oneof(fc.bigInt({ min: 1n, max: 511n }), fc.bigInt({ min: 1n, max: 0xffffn }).map((u) => u * 512n))
    fc.assert(fc.property(valid, valid, (a, b) => {
      fc.pre(a !== b)
      expect(vtxoScript(owner, server, a)).not.toBe(vtxoScript(owner, server, b))
    }), { numRuns: 200 })
  })
})
