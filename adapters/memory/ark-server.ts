import { schnorr } from "@noble/curves/secp256k1.js"
import { base64, hex } from "@scure/base"
import { Transaction } from "@scure/btc-signer"
import { Context, Effect, Either, Layer, Ref, SynchronizedRef } from "effect"
import { randomHex } from "../../core/shared/random.js"
import {
  checkpointScript,
  readCheckpointTx,
  readOffchainTx,
  type TxOut,
  verifyTapscriptSignature,
  vtxoOwner,
  vtxoScript
} from "../../core/signing/ark-tx.js"
import {
  type ArkInfo,
  ArkServer,
  ArkServerUnavailable,
  type ArkVtxo,
  ArkTxRejected,
  type SettleResult,
  type SubmitTxResult
} from "../../ports/ark-server.js"

export type SimulatorBehaviour = "normal" | "fail" | "hang"

/** Test and demo controls of the simulated arkd; not part of the ArkServer port. */
export class ArkServerSimulator extends Context.Tag("relaygate/ArkServerSimulator")<
  ArkServerSimulator,
  {
    /** A new VTXO for the owner, as if a batch had settled on chain. */
    readonly fund: (ownerPubkey: string, amount: bigint) => Effect.Effect<ArkVtxo>
    /** fail: every ArkServer call fails with ArkServerUnavailable; hang: every call never completes. */
    readonly setBehaviour: (behaviour: SimulatorBehaviour) => Effect.Effect<void>
    /** Every VTXO ever created, spent ones included, oldest first. */
    readonly vtxos: () => Effect.Effect<ReadonlyArray<ArkVtxo>>
  }
>() {}

export interface SimulatorOptions {
  readonly network?: string
  readonly dust?: bigint
  readonly unilateralExitDelay?: bigint
}

interface Entry {
  readonly vtxo: ArkVtxo
  /** The submitted, not yet finalized ark tx that will spend it. */
  readonly reservedBy: string | null
}

interface Submission {
  readonly result: SubmitTxResult
  /** Per checkpoint txid: the VTXO it spends. */
  readonly checkpoints: ReadonlyMap<string, ArkVtxo>
  readonly outputs: ReadonlyArray<ArkVtxo>
  readonly finalized: boolean
}

interface State {
  readonly vtxos: ReadonlyMap<string, Entry>
  readonly submissions: ReadonlyMap<string, Submission>
  /** Outpoint → the commitment tx that settled it. */
  readonly settled: ReadonlyMap<string, string>
}

const outpoint = (o: { readonly txid: string; readonly vout: number }) => `${o.txid}:${o.vout}`

const rejected = (reason: string) => new ArkTxRejected({ reason })

const sameTxOut = (a: TxOut, b: ArkVtxo) => a.script === b.script && a.amount === b.amount

const withEntries = (vtxos: ReadonlyMap<string, Entry>, updates: ReadonlyArray<Entry>) => {
  const next = new Map(vtxos)
  for (const e of updates) next.set(outpoint(e.vtxo), e)
  return next
}

export const make = (options: SimulatorOptions = {}) =>
  Effect.gen(function*() {
    const signerKey = schnorr.utils.randomSecretKey()
    const info: ArkInfo = {
      signerPubkey: hex.encode(schnorr.getPublicKey(signerKey)),
      network: options.network ?? "regtest",
      version: "relaygate-simulated-arkd",
      dust: options.dust ?? 330n,
      unilateralExitDelay: options.unilateralExitDelay ?? 512n
    }
    const server = info.signerPubkey
    const delay = info.unilateralExitDelay
    const behaviour = yield* Ref.make<SimulatorBehaviour>("normal")
    const state = yield* SynchronizedRef.make<State>({ vtxos: new Map(), submissions: new Map(), settled: new Map() })

    const reachable = Effect.flatMap(Ref.get(behaviour), (b) =>
      b === "normal"
        ? Effect.void
        : b === "fail"
        ? Effect.fail(new ArkServerUnavailable({ reason: "simulated arkd is down" }))
        : Effect.never)

    const signedBy = (psbt: string, inputIndex: number, owner: string) =>
      verifyTapscriptSignature(psbt, inputIndex, owner, schnorr.verify)

    const coSign = (psbt: string) =>
      Effect.try({
        try: () => {
          const tx = Transaction.fromPSBT(base64.decode(psbt), { allowUnknownOutputs: true })
          for (let i = 0; i < tx.inputsLength; i++) tx.signIdx(signerKey, i)
          return base64.encode(tx.toPSBT())
        },
        catch: (e) => rejected(`cannot co-sign: ${e instanceof Error ? e.message : String(e)}`)
      })

    const decideSubmit = (s: State, input: { readonly signedArkTx: string; readonly checkpointTxs: ReadonlyArray<string> }) =>
      Effect.gen(function*() {
        const view = yield* Either.mapLeft(readOffchainTx(input.signedArkTx, input.checkpointTxs), (e) => rejected(e.reason))
        const known = s.submissions.get(view.arkTxid)
        if (known !== undefined) return [known.result, s] as const

        const spent = new Map<string, ArkVtxo>()
        for (const [i, cp] of view.checkpoints.entries()) {
          const entry = s.vtxos.get(outpoint(cp.spends))
          if (entry === undefined) return yield* rejected(`VTXO ${outpoint(cp.spends)} does not exist`)
          if (entry.vtxo.spent) return yield* rejected(`VTXO ${outpoint(cp.spends)} is already spent`)
          if (entry.reservedBy !== null) {
            return yield* rejected(`VTXO ${outpoint(cp.spends)} is already being spent by ark tx ${entry.reservedBy}`)
          }
          if (!sameTxOut(cp.prevout, entry.vtxo)) return yield* rejected(`checkpoint ${cp.txid} misstates VTXO ${outpoint(cp.spends)}`)
          if (cp.output.script !== checkpointScript(entry.vtxo.pubkey, server, delay)) {
            return yield* rejected(`checkpoint ${cp.txid} does not pay the checkpoint script of the VTXO's owner`)
          }
          if (!signedBy(input.signedArkTx, i, entry.vtxo.pubkey)) {
            return yield* rejected(`ark tx input ${i} lacks a valid signature by VTXO owner ${entry.vtxo.pubkey}`)
          }
          spent.set(cp.txid, entry.vtxo)
        }

        const outputs: Array<ArkVtxo> = []
        for (const [vout, o] of view.outputs.entries()) {
          const owner = vtxoOwner(o, server, delay)
          if (owner === undefined) return yield* rejected(`output ${vout} is not a VTXO script of this server`)
          if (o.amount < info.dust) return yield* rejected(`output ${vout} of ${o.amount} sats is below dust (${info.dust})`)
          outputs.push({ txid: view.arkTxid, vout, amount: o.amount, script: o.script, pubkey: owner, spent: false })
        }

        const result: SubmitTxResult = {
          arkTxid: view.arkTxid,
          finalArkTx: yield* coSign(input.signedArkTx),
          signedCheckpointTxs: yield* Effect.forEach(input.checkpointTxs, coSign)
        }
        const reserved = [...spent.values()].map((vtxo) => ({ vtxo, reservedBy: view.arkTxid }))
        const next: State = {
          ...s,
          vtxos: withEntries(s.vtxos, reserved),
          submissions: new Map(s.submissions).set(view.arkTxid, { result, checkpoints: spent, outputs, finalized: false })
        }
        return [result, next] as const
      })

    const decideFinalize = (s: State, input: { readonly arkTxid: string; readonly finalCheckpointTxs: ReadonlyArray<string> }) =>
      Effect.gen(function*() {
        const submission = s.submissions.get(input.arkTxid)
        if (submission === undefined) return yield* rejected(`ark tx ${input.arkTxid} was never submitted`)
        if (submission.finalized) return [undefined, s] as const

        const seen = new Set<string>()
        for (const psbt of input.finalCheckpointTxs) {
          const cp = yield* Either.mapLeft(readCheckpointTx(psbt), (e) => rejected(e.reason))
          const vtxo = submission.checkpoints.get(cp.txid)
          if (vtxo === undefined || seen.has(cp.txid)) {
            return yield* rejected(`checkpoint ${cp.txid} is not a pending checkpoint of ark tx ${input.arkTxid}`)
          }
          seen.add(cp.txid)
          if (!sameTxOut(cp.prevout, vtxo)) return yield* rejected(`checkpoint ${cp.txid} misstates VTXO ${outpoint(vtxo)}`)
          if (!signedBy(psbt, 0, vtxo.pubkey)) return yield* rejected(`checkpoint ${cp.txid} lacks the owner's signature`)
          if (!signedBy(psbt, 0, server)) return yield* rejected(`checkpoint ${cp.txid} lacks the server's signature`)
        }
        if (seen.size !== submission.checkpoints.size) {
          return yield* rejected(`${seen.size} of ${submission.checkpoints.size} checkpoints were finalized`)
        }

        const spentEntries = [...submission.checkpoints.values()].map((vtxo) => ({ vtxo: { ...vtxo, spent: true }, reservedBy: null }))
        const created = submission.outputs.map((vtxo) => ({ vtxo, reservedBy: null }))
        const next: State = {
          ...s,
          vtxos: withEntries(s.vtxos, [...spentEntries, ...created]),
          submissions: new Map(s.submissions).set(input.arkTxid, { ...submission, finalized: true })
        }
        return [undefined, next] as const
      })

    const arkServer = ArkServer.of({
      getInfo: Effect.fn("ArkServer.getInfo")(function*() {
        yield* reachable
        return info
      }),
      listVtxos: Effect.fn("ArkServer.listVtxos")(function*(pubkey: string) {
        yield* reachable
        const script = yield* Effect.try({
          try: () => vtxoScript(pubkey, server, delay),
          catch: () => rejected(`${pubkey} is not an x-only public key`)
        })
        const { vtxos } = yield* SynchronizedRef.get(state)
        return [...vtxos.values()]
          .filter((e) => !e.vtxo.spent && e.reservedBy === null && e.vtxo.script === script)
          .map((e) => e.vtxo)
      }),
      submitTx: Effect.fn("ArkServer.submitTx")(function*(input) {
        yield* reachable
        // Check, co-sign and reserve under the lock, so two txs racing for one VTXO cannot both pass.
        return yield* SynchronizedRef.modifyEffect(state, (s) => decideSubmit(s, input))
      }),
      finalizeTx: Effect.fn("ArkServer.finalizeTx")(function*(input) {
        yield* reachable
        yield* SynchronizedRef.modifyEffect(state, (s) => decideFinalize(s, input))
      }),
      boardVtxos: Effect.fn("ArkServer.boardVtxos")(function*(input) {
        yield* reachable
        if (input.amounts.length === 0) return yield* rejected("a batch needs at least one output")
        const small = input.amounts.find((a) => a < info.dust)
        if (small !== undefined) return yield* rejected(`output of ${small} sats is below dust (${info.dust})`)
        const script = yield* Effect.try({
          try: () => vtxoScript(input.ownerPubkey, server, delay),
          catch: () => rejected(`${input.ownerPubkey} is not an x-only public key`)
        })
        // One commitment per round; the batch's VTXOs are its leaves, told apart by vout.
        const commitmentTxid = yield* randomHex(32)
        const vtxos: ReadonlyArray<ArkVtxo> = input.amounts.map((amount, vout) => ({
          txid: commitmentTxid,
          vout,
          amount,
          script,
          pubkey: input.ownerPubkey.toLowerCase(),
          spent: false
        }))
        yield* SynchronizedRef.update(state, (s) => ({
          ...s,
          vtxos: withEntries(s.vtxos, vtxos.map((vtxo) => ({ vtxo, reservedBy: null })))
        }))
        return { commitmentTxid, vtxos }
      }),
      settleBatch: Effect.fn("ArkServer.settleBatch")(function*(input) {
        yield* reachable
        const commitmentTxid = yield* randomHex(32)
        return yield* SynchronizedRef.modifyEffect(state, (s): Effect.Effect<readonly [SettleResult, State], ArkTxRejected> => {
          const unknown = input.vtxos.find((o) => !s.vtxos.has(outpoint(o)))
          if (unknown !== undefined) return Effect.fail(rejected(`VTXO ${outpoint(unknown)} does not exist`))
          const settled = new Map(s.settled)
          let fresh = false
          for (const o of input.vtxos) {
            if (settled.has(outpoint(o))) continue
            settled.set(outpoint(o), commitmentTxid)
            fresh = true
          }
          const requested = [...new Map(input.vtxos.map((o) => [outpoint(o), o])).values()]
          const anchored = requested.map(({ txid, vout }) => ({ txid, vout, commitmentTxid: settled.get(outpoint({ txid, vout }))! }))
          return Effect.succeed([{ commitmentTxid: fresh ? commitmentTxid : null, anchored }, { ...s, settled }])
        })
      })
    })

    const simulator = ArkServerSimulator.of({
      fund: Effect.fn("ArkServerSimulator.fund")(function*(ownerPubkey: string, amount: bigint) {
        const vtxo: ArkVtxo = {
          txid: yield* randomHex(32),
          vout: 0,
          amount,
          script: vtxoScript(ownerPubkey, server, delay),
          pubkey: ownerPubkey.toLowerCase(),
          spent: false
        }
        yield* SynchronizedRef.update(state, (s) => ({ ...s, vtxos: withEntries(s.vtxos, [{ vtxo, reservedBy: null }]) }))
        return vtxo
      }),
      setBehaviour: Effect.fn("ArkServerSimulator.setBehaviour")(function*(b: SimulatorBehaviour) {
        yield* Ref.set(behaviour, b)
      }),
      vtxos: Effect.fn("ArkServerSimulator.vtxos")(function*() {
        return [...(yield* SynchronizedRef.get(state)).vtxos.values()].map((e) => e.vtxo)
      })
    })

    return { arkServer, simulator }
  })

/** arkd simulated in memory, plus its controls; each build is a fresh arkd with its own signer key. */
export const layer = (options: SimulatorOptions = {}): Layer.Layer<ArkServer | ArkServerSimulator> =>
  Layer.effectContext(
    Effect.map(make(options), ({ arkServer, simulator }) =>
      Context.make(ArkServer, arkServer).pipe(Context.add(ArkServerSimulator, simulator)))
  )
