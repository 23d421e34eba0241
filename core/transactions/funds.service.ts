import { Clock, Context, Effect, Either, Layer, Option } from "effect"
import { LedgerService } from "../ledger/service.js"
import type { StoreUnavailable } from "../shared/errors.js"
import { CeremonyFunds, type ExecutedTransfer, FundsRefused, type TransferIntent } from "../signing/funds.js"
import { isTerminal, type Session } from "../signing/model.js"
import { VtxoService } from "../vtxo/service.js"
import { ArkServer } from "../../ports/ark-server.js"
import { GatewaySigner } from "../../ports/gateway-signer.js"
import { SessionStore } from "../../ports/session-store.js"
import { TransactionStore } from "../../ports/transaction-store.js"
import * as Machine from "./machine.js"
import type { Transaction } from "./model.js"

/** The ledger hold of one ceremony: the session id makes reserve, settle and release idempotent. */
export const ceremonyHoldId = (sessionId: string) => `ceremony:${sessionId}`

/** Closes what a crash or an out-of-band failure (session failed or swept) left open. */
export class CeremonyReconciler extends Context.Tag("relaygate/CeremonyReconciler")<
  CeremonyReconciler,
  {
    /** Releases the holds of ceremonies that ended without completing; returns how many. */
    readonly reconcile: () => Effect.Effect<number, StoreUnavailable>
  }
>() {}

const refuse = (e: { readonly message: string }) => new FundsRefused({ reason: e.message })

export const make = Effect.gen(function*() {
  const ledger = yield* LedgerService
  const vtxos = yield* VtxoService
  const transactions = yield* TransactionStore
  const sessions = yield* SessionStore
  const ark = yield* ArkServer
  const gateway = yield* GatewaySigner

  /** The transaction record of a ceremony that arkd finalized: created, or moved to broadcast. */
  const recordBroadcast = (t: TransferIntent, tx: ExecutedTransfer) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const existing = yield* transactions.findBySession(t.session_id)
      if (Option.isSome(existing)) {
        yield* transactions.modify(existing.value.txid, (cur) =>
          Either.map(Machine.broadcast(cur, tx.final_ark_tx, now), (next) => [next, null] as const))
          .pipe(Effect.catchTags({ InvalidTransactionState: () => Effect.void, TransactionNotFound: () => Effect.void }))
        return
      }
      const record: Transaction = {
        txid: tx.ark_txid,
        session_id: t.session_id,
        tx_type: "p2p_transfer",
        status: "broadcast",
        sender_pubkey: t.sender_pubkey,
        recipient_pubkey: t.recipient_pubkey,
        asset_id: t.asset_id,
        amount_sats: t.amount,
        fee_sats: 0n,
        raw_tx: tx.final_ark_tx,
        confirmations: 0,
        created_at: now,
        updated_at: now,
        broadcast_at: now,
        confirmed_at: null,
        failure_reason: null
      }
      yield* transactions.insert(record).pipe(Effect.catchTag("TransactionExists", () => Effect.void))
    })

  /** Inputs assigned to the session go back to the inventory only while arkd still offers them unspent. */
  const returnInputs = (s: Session) =>
    Effect.gen(function*() {
      const assigned = yield* vtxos.list({ assignment_ref: s.session_id, status: "assigned" })
      if (assigned.length === 0) return
      const unspent = yield* ark.listVtxos(gateway.pubkey).pipe(
        Effect.map((vs) => new Set(vs.map((v) => `${v.txid}:${v.vout}`))),
        Effect.option
      )
      for (const v of assigned) {
        if (Option.isSome(unspent) && unspent.value.has(v.vtxo_id)) {
          yield* vtxos.unassign(v.vtxo_id, s.session_id).pipe(Effect.catchTags({ VtxoNotFound: () => Effect.void, InvalidVtxoState: () => Effect.void }))
        } else {
          // arkd holds it for a submitted tx (or cannot be asked): handing it out again could double-spend it.
          yield* Effect.logWarning("ceremony input stays assigned").pipe(Effect.annotateLogs({ vtxo_id: v.vtxo_id, session_id: s.session_id }))
        }
      }
    })

  const release = (s: Session, reason: string) =>
    Effect.gen(function*() {
      yield* ledger.release(ceremonyHoldId(s.session_id), reason).pipe(
        Effect.catchTags({
          HoldNotFound: () => Effect.void,
          HoldConflict: (e) =>
            e.status === "released"
              ? Effect.void
              : Effect.logError("a ceremony that settled its transfer ended as failed; the transfer stands").pipe(
                Effect.annotateLogs({ session_id: s.session_id })
              ),
          AssetNotFound: Effect.die
        })
      )
      yield* returnInputs(s)
      const tx = yield* transactions.findBySession(s.session_id)
      if (Option.isSome(tx)) {
        const now = yield* Clock.currentTimeMillis
        yield* transactions.modify(tx.value.txid, (cur) => Either.right([Machine.fail(cur, reason, now), null] as const))
          .pipe(Effect.catchTag("TransactionNotFound", () => Effect.void))
      }
    }).pipe(
      Effect.catchAll((e) => Effect.logError("could not release a ceremony's funds; the reconciler retries").pipe(Effect.annotateLogs({ reason: e.message }))),
      Effect.withSpan("CeremonyFunds.release")
    )

  const funds = CeremonyFunds.of({
    reserve: Effect.fn("CeremonyFunds.reserve")(function*(t: TransferIntent) {
      yield* ledger.reserve({
        hold_id: ceremonyHoldId(t.session_id),
        owner: t.sender_pubkey,
        asset_id: t.asset_id,
        amount: t.amount,
        purpose: "ceremony",
        reference: t.session_id
      }).pipe(Effect.mapError(refuse))
    }),

    inputs: Effect.fn("CeremonyFunds.inputs")(function*(t: TransferIntent, minimum: bigint) {
      const v = yield* vtxos.assign({ user_pubkey: t.sender_pubkey, asset_id: t.asset_id, amount_needed: minimum, ref: t.session_id })
        .pipe(Effect.mapError((e) =>
          new FundsRefused({
            reason: e._tag === "NoVtxoAvailable"
              ? `no inventory VTXO of at least ${minimum} sats is available; the inventory is replenished shortly`
              : e.message
          })
        ))
      return [{ txid: v.txid, vout: v.vout, amount: v.amount_sats, script: v.script_pubkey }]
    }),

    settle: Effect.fn("CeremonyFunds.settle")(function*(t: TransferIntent, tx: ExecutedTransfer) {
      // The money first: the hold is keyed by the session, so a re-run of finalization moves nothing twice.
      yield* ledger.settle(ceremonyHoldId(t.session_id), { user: t.recipient_pubkey }).pipe(Effect.mapError(refuse))
      for (const input of tx.inputs) {
        yield* vtxos.markSpent({ vtxo_id: `${input.txid}:${input.vout}`, spending_txid: tx.ark_txid }).pipe(
          Effect.catchTags({
            VtxoNotFound: () => Effect.void,
            VtxoAlreadySpent: () => Effect.void,
            InvalidVtxoState: (e) => Effect.logWarning("spent input was not spendable in the inventory").pipe(Effect.annotateLogs({ detail: e.message }))
          })
        )
      }
      if (tx.change !== null) {
        yield* vtxos.adopt({ txid: tx.ark_txid, vout: tx.change.vout, amount_sats: tx.change.amount, script_pubkey: tx.change.script, asset_id: t.asset_id })
      }
      yield* recordBroadcast(t, tx)
    }, (effect) => Effect.catchTag(effect, "StoreUnavailable", (e) => Effect.fail(refuse(e)))),

    release
  })

  const reconciler = CeremonyReconciler.of({
    reconcile: Effect.fn("CeremonyReconciler.reconcile")(function*() {
      let released = 0
      for (const hold of yield* ledger.listHolds({ status: "held", purpose: "ceremony" })) {
        const s = hold.reference === null ? Option.none() : yield* sessions.get(hold.reference)
        if (Option.isSome(s) && (!isTerminal(s.value.status) || s.value.status === "completed")) continue
        if (Option.isNone(s)) {
          yield* ledger.release(hold.hold_id, "the session no longer exists").pipe(Effect.catchAll(() => Effect.void))
        } else {
          yield* release(s.value, s.value.failure_reason ?? `session ${s.value.status}`)
        }
        released++
      }
      return released
    })
  })

  return { funds, reconciler }
})

/** CeremonyFunds for the ark ceremony, backed by the ledger and the VTXO inventory, plus its reconciler. */
export const layer = Layer.effectContext(
  Effect.map(make, ({ funds, reconciler }) => Context.make(CeremonyFunds, funds).pipe(Context.add(CeremonyReconciler, reconciler)))
)
