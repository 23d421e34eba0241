/**
 * Ark off-chain transfers as arkd (v0.7+) builds and checks them: every input
 * VTXO is spent through its own checkpoint tx, and the ark tx spends the
 * checkpoint outputs. Every PSBT here is base64; every key x-only hex.
 */
import { schnorr } from "@noble/curves/secp256k1.js"
import { base64, hex } from "@scure/base"
import * as btc from "@scure/btc-signer"
import { tapLeafHash } from "@scure/btc-signer/payment.js"
import { Either, Schema } from "effect"
import { isHexOfLength } from "../shared/hex.js"
import type { VtxoInput } from "./model.js"

export class InsufficientVtxos extends Schema.TaggedError<InsufficientVtxos>()("InsufficientVtxos", {
  requested: Schema.BigInt,
  available: Schema.BigInt
}) {
  override get message() {
    return `VTXOs worth ${this.available} sats cannot cover ${this.requested} sats`
  }
}

export class ArkTxInvalid extends Schema.TaggedError<ArkTxInvalid>()("ArkTxInvalid", {
  reason: Schema.String
}) {
  override get message() {
    return `Invalid ark transaction: ${this.reason}`
  }
}

/** Pay-to-anchor: lets anyone CPFP the tx when it is broadcast on unilateral exit. */
const ANCHOR_SCRIPT = "51024e73"
const TAPSCRIPT_LEAF_VERSION = 0xc0
// v3 (TRUC) is what makes a zero-value P2A output standard.
const TX_VERSION = 3
const PARSE_OPTS = { allowUnknownOutputs: true } as const
const SIGHASH_DEFAULT = 0

export const isXOnlyKey = (keyHex: string): boolean => {
  if (!isHexOfLength(keyHex, 32)) return false
  try {
    schnorr.utils.lift_x(BigInt(`0x${keyHex}`))
    return true
  } catch {
    return false
  }
}

const keyBytes = (keyHex: string): Uint8Array => {
  if (!isHexOfLength(keyHex, 32)) throw new ArkTxInvalid({ reason: `${keyHex} is not a 32-byte x-only key` })
  return hex.decode(keyHex.toLowerCase())
}

// arkd reads a relative delay below 512 as blocks and from 512 on as seconds, which BIP-68 counts in 512 s units.
const SECONDS_FROM = 512n
const SECONDS_UNIT = 512n
const MAX_UNITS = 0xffffn
const TYPE_FLAG_SECONDS = 1n << 22n

/**
 * The BIP-68 relative locktime of an exit delay as arkd reports it (1..511
 * blocks, or seconds as a multiple of 512 up to 65535 × 512): the operand of
 * the exit leaf's CHECKSEQUENCEVERIFY, and the nSequence an input spending
 * that leaf must carry. Throws ArkTxInvalid on any other value.
 */
export const exitSequence = (exitDelay: bigint): number => {
  if (exitDelay >= 1n && exitDelay < SECONDS_FROM) return Number(exitDelay)
  if (exitDelay >= SECONDS_FROM && exitDelay % SECONDS_UNIT === 0n && exitDelay / SECONDS_UNIT <= MAX_UNITS) {
    return Number(TYPE_FLAG_SECONDS | (exitDelay / SECONDS_UNIT))
  }
  throw new ArkTxInvalid({
    reason: `exit delay ${exitDelay} is neither 1..511 blocks nor a multiple of 512 seconds up to ${MAX_UNITS * SECONDS_UNIT}`
  })
}

const collaborativeLeaf = (ownerHex: string, serverHex: string): Uint8Array =>
  btc.Script.encode([keyBytes(serverHex), "CHECKSIGVERIFY", keyBytes(ownerHex), "CHECKSIG"])

const exitLeaf = (keyHex: string, exitDelay: bigint): Uint8Array =>
  btc.Script.encode([exitSequence(exitDelay), "CHECKSEQUENCEVERIFY", "DROP", keyBytes(keyHex), "CHECKSIG"])

type TapLeafScripts = NonNullable<Parameters<btc.Transaction["addInput"]>[0]["tapLeafScript"]>

interface TapOutput {
  readonly script: Uint8Array
  /** PSBT fields that let a signer spend the output through its collaborative leaf. */
  readonly spend: { readonly tapLeafScript: TapLeafScripts }
  /** BIP-371 output fields, so the receiver can learn the leaves from the PSBT alone. */
  readonly describe: { readonly tapInternalKey: Uint8Array; readonly tapTree: Array<{ depth: number; version: number; script: Uint8Array }> }
}

const tapOutput = (collaborative: Uint8Array, exit: Uint8Array): TapOutput => {
  const p = btc.p2tr(btc.TAPROOT_UNSPENDABLE_KEY, [{ script: collaborative }, { script: exit }], undefined, true)
  const leaf = (p.tapLeafScript ?? []).find(([, s]) => hex.encode(s.subarray(0, -1)) === hex.encode(collaborative))
  if (leaf === undefined) throw new ArkTxInvalid({ reason: "collaborative leaf missing from its own tap tree" })
  return {
    script: p.script,
    spend: { tapLeafScript: [leaf] },
    describe: {
      tapInternalKey: btc.TAPROOT_UNSPENDABLE_KEY,
      tapTree: [collaborative, exit].map((script) => ({ depth: 1, version: TAPSCRIPT_LEAF_VERSION, script }))
    }
  }
}

const vtxoOutput = (ownerHex: string, serverHex: string, exitDelay: bigint) =>
  tapOutput(collaborativeLeaf(ownerHex, serverHex), exitLeaf(ownerHex, exitDelay))

// The exit leaf is the server's, so only arkd can unroll a checkpoint that was never finalized.
const checkpointOutput = (ownerHex: string, serverHex: string, exitDelay: bigint) =>
  tapOutput(collaborativeLeaf(ownerHex, serverHex), exitLeaf(serverHex, exitDelay))

/** Output script (hex) of a VTXO owned by `ownerXOnlyHex`. Throws ArkTxInvalid on keys that are not 32-byte hex or a delay `exitSequence` refuses. */
export const vtxoScript = (ownerXOnlyHex: string, serverXOnlyHex: string, exitDelay: bigint): string =>
  hex.encode(vtxoOutput(ownerXOnlyHex, serverXOnlyHex, exitDelay).script)

/** Output script (hex) of the checkpoint that moves a VTXO of `ownerXOnlyHex` into an ark tx. */
export const checkpointScript = (ownerXOnlyHex: string, serverXOnlyHex: string, exitDelay: bigint): string =>
  hex.encode(checkpointOutput(ownerXOnlyHex, serverXOnlyHex, exitDelay).script)

const outpointKey = (o: { readonly txid: string; readonly vout: number }) => `${o.txid.toLowerCase()}:${o.vout}`

const byAmountThenOutpoint = (a: VtxoInput, b: VtxoInput) =>
  a.amount !== b.amount ? (a.amount < b.amount ? -1 : 1) : outpointKey(a) < outpointKey(b) ? -1 : 1

/**
 * The smallest single VTXO covering `amount`; otherwise the largest ones until
 * covered, which uses the fewest inputs and leaves none that could be dropped.
 */
export const selectInputs = (
  available: ReadonlyArray<VtxoInput>,
  amount: bigint
): Either.Either<ReadonlyArray<VtxoInput>, InsufficientVtxos> => {
  if (amount <= 0n) return Either.right([])
  const ascending = [...available].sort(byAmountThenOutpoint)
  const single = ascending.find((v) => v.amount >= amount)
  if (single !== undefined) return Either.right([single])
  const picked: Array<VtxoInput> = []
  let total = 0n
  for (const v of ascending.reverse()) {
    picked.push(v)
    total += v.amount
    if (total >= amount) return Either.right(picked)
  }
  return Either.left(new InsufficientVtxos({ requested: amount, available: total }))
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

const guarded = <A>(f: () => A): Either.Either<A, ArkTxInvalid> =>
  Either.try({ try: f, catch: (e) => (e instanceof ArkTxInvalid ? e : new ArkTxInvalid({ reason: errorText(e) })) })

const invalid = (reason: string): never => {
  throw new ArkTxInvalid({ reason })
}

const sum = (xs: ReadonlyArray<{ readonly amount: bigint }>) => xs.reduce((acc, x) => acc + x.amount, 0n)

const toBase64 = (tx: btc.Transaction) => base64.encode(tx.toPSBT())

export interface OffchainTxParams {
  readonly inputs: ReadonlyArray<VtxoInput>
  readonly ownerPubkey: string
  readonly recipientPubkey: string
  readonly amount: bigint
  readonly serverPubkey: string
  readonly exitDelay: bigint
}

/**
 * Checkpoints in input order, then the ark tx paying the recipient at vout 0,
 * change back to the owner at vout 1 when there is any, and the anchor last.
 */
export const buildOffchainTx = (
  p: OffchainTxParams & { readonly dust: bigint }
): Either.Either<{ readonly arkTx: string; readonly checkpointTxs: ReadonlyArray<string> }, ArkTxInvalid> =>
  guarded(() => {
    if (p.amount <= 0n) invalid(`amount must be positive, got ${p.amount}`)
    if (p.amount < p.dust) invalid(`amount ${p.amount} is below dust (${p.dust})`)
    if (!isXOnlyKey(p.recipientPubkey)) invalid(`recipient ${p.recipientPubkey} is not a valid x-only public key`)
    if (!isXOnlyKey(p.ownerPubkey)) invalid(`owner ${p.ownerPubkey} is not a valid x-only public key`)
    if (!isXOnlyKey(p.serverPubkey)) invalid(`server ${p.serverPubkey} is not a valid x-only public key`)
    if (p.inputs.length === 0) invalid("no inputs")
    const total = sum(p.inputs)
    if (total < p.amount) invalid(`inputs hold ${total} sats, less than ${p.amount}`)
    const change = total - p.amount
    if (change > 0n && change < p.dust) invalid(`change ${change} would be below dust (${p.dust}); pick other inputs`)

    const vtxo = vtxoOutput(p.ownerPubkey, p.serverPubkey, p.exitDelay)
    const checkpoint = checkpointOutput(p.ownerPubkey, p.serverPubkey, p.exitDelay)
    const checkpoints = p.inputs.map((input) => {
      if (input.script.toLowerCase() !== hex.encode(vtxo.script)) {
        invalid(`input ${outpointKey(input)} is not a VTXO of ${p.ownerPubkey}`)
      }
      const tx = new btc.Transaction({ version: TX_VERSION, ...PARSE_OPTS })
      tx.addInput({ txid: input.txid, index: input.vout, witnessUtxo: { script: vtxo.script, amount: input.amount }, ...vtxo.spend })
      tx.addOutput({ script: checkpoint.script, amount: input.amount, ...checkpoint.describe })
      tx.addOutput({ script: hex.decode(ANCHOR_SCRIPT), amount: 0n })
      return tx
    })

    const ark = new btc.Transaction({ version: TX_VERSION, ...PARSE_OPTS })
    p.inputs.forEach((input, i) => {
      ark.addInput({
        txid: checkpoints[i]!.id,
        index: 0,
        witnessUtxo: { script: checkpoint.script, amount: input.amount },
        ...checkpoint.spend
      })
    })
    const recipient = vtxoOutput(p.recipientPubkey, p.serverPubkey, p.exitDelay)
    ark.addOutput({ script: recipient.script, amount: p.amount, ...recipient.describe })
    if (change > 0n) ark.addOutput({ script: vtxo.script, amount: change, ...vtxo.describe })
    ark.addOutput({ script: hex.decode(ANCHOR_SCRIPT), amount: 0n })
    return { arkTx: toBase64(ark), checkpointTxs: checkpoints.map(toBase64) }
  })

const parsePsbt = (psbtBase64: string, what: string): btc.Transaction => {
  try {
    return btc.Transaction.fromPSBT(base64.decode(psbtBase64), PARSE_OPTS)
  } catch (e) {
    return invalid(`${what} is not a valid PSBT: ${errorText(e)}`)
  }
}

export interface TxOut {
  readonly script: string
  readonly amount: bigint
}

export interface Outpoint {
  readonly txid: string
  readonly vout: number
}

export interface CheckpointView {
  readonly txid: string
  /** The VTXO it spends. */
  readonly spends: Outpoint
  /** The spent VTXO as the PSBT describes it (witnessUtxo). */
  readonly prevout: TxOut
  readonly output: TxOut
}

export interface ArkOutputView extends TxOut {
  /** Tap leaves (hex) from the PSBT's BIP-371 tap tree; empty when absent. */
  readonly leaves: ReadonlyArray<string>
}

export interface OffchainTxView {
  readonly arkTxid: string
  /** `checkpoints[i]` is the one the ark tx's input i spends. */
  readonly checkpoints: ReadonlyArray<CheckpointView>
  /** The ark tx's outputs without the trailing anchor; vout = index. */
  readonly outputs: ReadonlyArray<ArkOutputView>
}

const txOut = (o: { script?: Uint8Array | undefined; amount?: bigint | undefined }): TxOut => ({
  script: hex.encode(o.script ?? new Uint8Array()),
  amount: o.amount ?? 0n
})

const isAnchor = (o: TxOut) => o.script === ANCHOR_SCRIPT && o.amount === 0n

const readCheckpoint = (psbtBase64: string, what: string): CheckpointView => {
  const tx = parsePsbt(psbtBase64, what)
  if (tx.inputsLength !== 1) invalid(`${what} must spend exactly one VTXO`)
  if (tx.outputsLength !== 2) invalid(`${what} must have a checkpoint output and an anchor`)
  const input = tx.getInput(0)
  if (input.txid === undefined || input.index === undefined || input.witnessUtxo === undefined) {
    invalid(`${what} input lacks its outpoint or witnessUtxo`)
  }
  const output = txOut(tx.getOutput(0))
  if (!isAnchor(txOut(tx.getOutput(1)))) invalid(`${what} output 1 is not a zero-value anchor`)
  const prevout = txOut(input.witnessUtxo!)
  if (output.amount !== prevout.amount) invalid(`${what} moves ${prevout.amount} sats into ${output.amount}`)
  return { txid: tx.id, spends: { txid: hex.encode(input.txid!), vout: input.index! }, prevout, output }
}

/** One checkpoint PSBT, structurally checked (one input, checkpoint output + anchor, amount kept). */
export const readCheckpointTx = (psbtBase64: string): Either.Either<CheckpointView, ArkTxInvalid> =>
  guarded(() => readCheckpoint(psbtBase64, "checkpoint tx"))

/**
 * Structure shared by every party: each ark tx input spends a distinct
 * checkpoint's output 0 exactly as the checkpoint created it, nothing is left
 * over as fee, and the anchor is the last output. Whose keys are in the
 * scripts is for the caller to check.
 */
export const readOffchainTx = (
  arkTx: string,
  checkpointTxs: ReadonlyArray<string>
): Either.Either<OffchainTxView, ArkTxInvalid> =>
  guarded(() => {
    const checkpoints = new Map<string, CheckpointView>()
    checkpointTxs.forEach((psbt, i) => {
      const cp = readCheckpoint(psbt, `checkpoint tx ${i}`)
      if (checkpoints.has(cp.txid)) invalid(`checkpoint ${cp.txid} appears twice`)
      checkpoints.set(cp.txid, cp)
    })
    const ark = parsePsbt(arkTx, "ark tx")
    if (ark.inputsLength !== checkpoints.size) {
      invalid(`ark tx has ${ark.inputsLength} inputs for ${checkpoints.size} checkpoints`)
    }
    const ordered: Array<CheckpointView> = []
    for (let i = 0; i < ark.inputsLength; i++) {
      const input = ark.getInput(i)
      const cp = input.txid === undefined ? undefined : checkpoints.get(hex.encode(input.txid))
      if (cp === undefined || input.index !== 0) invalid(`ark tx input ${i} does not spend a checkpoint output`)
      if (ordered.includes(cp!)) invalid(`ark tx spends checkpoint ${cp!.txid} twice`)
      const prevout = input.witnessUtxo === undefined ? undefined : txOut(input.witnessUtxo)
      if (prevout?.script !== cp!.output.script || prevout.amount !== cp!.output.amount) {
        invalid(`ark tx input ${i} misstates the checkpoint output it spends`)
      }
      ordered.push(cp!)
    }
    const outputs = Array.from({ length: ark.outputsLength }, (_, vout) => {
      const o = ark.getOutput(vout)
      return { ...txOut(o), leaves: (o.tapTree ?? []).map((leaf) => hex.encode(leaf.script)) }
    })
    const anchor = outputs.pop()
    if (anchor === undefined || !isAnchor(anchor)) invalid("ark tx must end with a zero-value anchor output")
    if (outputs.some((o) => o.script === ANCHOR_SCRIPT)) invalid("ark tx has more than one anchor")
    const spent = sum(ordered.map((cp) => cp.output))
    if (sum(outputs) !== spent) invalid(`ark tx spends ${spent} sats but creates ${sum(outputs)}`)
    return { arkTxid: ark.id, checkpoints: ordered, outputs }
  })

/**
 * The owner of an ark tx output, read from its tap tree, when the output is a
 * well-formed VTXO for this server; undefined otherwise.
 */
export const vtxoOwner = (output: ArkOutputView, serverXOnlyHex: string, exitDelay: bigint): string | undefined => {
  for (const leaf of output.leaves) {
    const ops = btc.Script.decode(hex.decode(leaf))
    const [server, verify, owner, checksig] = ops
    if (
      ops.length === 4 && server instanceof Uint8Array && owner instanceof Uint8Array && owner.length === 32 &&
      verify === "CHECKSIGVERIFY" && checksig === "CHECKSIG" && hex.encode(server) === serverXOnlyHex.toLowerCase()
    ) {
      const ownerHex = hex.encode(owner)
      return Either.getOrUndefined(guarded(() => vtxoScript(ownerHex, serverXOnlyHex, exitDelay))) === output.script
        ? ownerHex
        : undefined
    }
  }
  return undefined
}

/**
 * What the checkpoint_transaction_prep step checks before anything is signed:
 * the txs spend exactly `inputs`, through checkpoints of the owner, and pay
 * `amount` to the recipient with the rest back to the owner.
 */
export const validateOffchainTx = (
  p: OffchainTxParams & { readonly arkTx: string; readonly checkpointTxs: ReadonlyArray<string> }
): Either.Either<{ readonly arkTxid: string }, ArkTxInvalid> =>
  Either.flatMap(readOffchainTx(p.arkTx, p.checkpointTxs), (view) =>
    guarded(() => {
      const expected = new Map(p.inputs.map((v) => [outpointKey(v), v]))
      if (expected.size !== view.checkpoints.length) {
        invalid(`${view.checkpoints.length} checkpoints for ${expected.size} inputs`)
      }
      const cpScript = checkpointScript(p.ownerPubkey, p.serverPubkey, p.exitDelay)
      for (const cp of view.checkpoints) {
        const input = expected.get(outpointKey(cp.spends))
        if (input === undefined) invalid(`checkpoint ${cp.txid} spends ${outpointKey(cp.spends)}, which is not an input`)
        expected.delete(outpointKey(cp.spends))
        if (cp.prevout.script !== input!.script.toLowerCase() || cp.prevout.amount !== input!.amount) {
          invalid(`checkpoint ${cp.txid} misstates VTXO ${outpointKey(cp.spends)}`)
        }
        if (cp.output.script !== cpScript) invalid(`checkpoint ${cp.txid} does not pay the owner's checkpoint script`)
      }
      const [paid, change, ...extra] = view.outputs
      if (paid === undefined || extra.length > 0) invalid("ark tx must create the recipient output and at most one change output")
      if (paid!.script !== vtxoScript(p.recipientPubkey, p.serverPubkey, p.exitDelay)) invalid("output 0 does not pay the recipient")
      if (paid!.amount !== p.amount) invalid(`output 0 pays ${paid!.amount} sats instead of ${p.amount}`)
      if (change !== undefined && change.script !== vtxoScript(p.ownerPubkey, p.serverPubkey, p.exitDelay)) {
        invalid("output 1 does not return change to the owner")
      }
      return { arkTxid: view.arkTxid }
    }))

/**
 * True when input `inputIndex` carries a SIGHASH_DEFAULT script-path
 * signature by `xOnlyHex` over one of its tap leaves that names the key.
 * Parsing already proved the leaves commit to the spent output's key.
 * `verify` takes (signature, message32, xOnlyPubkey), as @noble/curves does.
 */
export const verifyTapscriptSignature = (
  psbtBase64: string,
  inputIndex: number,
  xOnlyHex: string,
  verify: (signature: Uint8Array, message: Uint8Array, xOnlyPubkey: Uint8Array) => boolean
): boolean => {
  try {
    const tx = btc.Transaction.fromPSBT(base64.decode(psbtBase64), PARSE_OPTS)
    const key = hex.decode(xOnlyHex.toLowerCase())
    const prevouts = Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i).witnessUtxo)
    if (inputIndex >= prevouts.length || prevouts.some((o) => o === undefined)) return false
    const scripts = prevouts.map((o) => o!.script)
    const amounts = prevouts.map((o) => o!.amount)
    const input = tx.getInput(inputIndex)
    const leaves = (input.tapLeafScript ?? []).map(([, s]) => ({ script: s.subarray(0, -1), version: s[s.length - 1]! }))
    return (input.tapScriptSig ?? []).some(([{ pubKey, leafHash }, sig]) => {
      if (sig.length !== 64 || hex.encode(pubKey) !== hex.encode(key)) return false
      const leaf = leaves.find((l) => hex.encode(tapLeafHash(l.script, l.version)) === hex.encode(leafHash))
      if (leaf === undefined || !btc.Script.decode(leaf.script).some((op) => op instanceof Uint8Array && hex.encode(op) === hex.encode(key))) {
        return false
      }
      const msg = tx.preimageWitnessV1(inputIndex, scripts, SIGHASH_DEFAULT, amounts, undefined, leaf.script, leaf.version)
      return verify(sig, msg, key)
    })
  } catch {
    return false
  }
}
