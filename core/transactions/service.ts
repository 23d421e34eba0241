import { Clock, Context, Effect, Either, Layer, Option } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { CeremonyService } from "../signing/ceremony.service.js"
import {
  type CeremonyNotFound,
  type CeremonyStepFailed,
  InvalidSessionState,
  type SessionExpired,
  type SessionNotFound,
  type StepOutOfOrder
} from "../signing/errors.js"
import { type Session, STEP_COUNT } from "../signing/model.js"
import { SessionService } from "../signing/service.js"
import { type TransactionFilter, TransactionStore } from "../../ports/transaction-store.js"
import { type InvalidTransactionState, TransactionNotFound } from "./errors.js"
import * as Machine from "./machine.js"
import type { Transaction } from "./model.js"

/** The step after which the ark tx is built, checked and signed by the gateway, but not yet sent to arkd. */
const PREPARED_STEP = 4

type CeremonyError =
  | SessionNotFound
  | SessionExpired
  | InvalidSessionState
  | CeremonyNotFound
  | StepOutOfOrder
  | CeremonyStepFailed
  | StoreUnavailable

type Ceremonial<A> = Effect.Effect<A, CeremonyError>

/**
 * The spec's low-level transaction routes, as a manual drive of the same
 * ceremony: prepare runs it through signature collection, broadcast through
 * arkd's finalization. Money moves only in the ceremony (reserve at intent
 * verification, transfer at finalization), so both paths move it exactly once.
 */
export class TransactionService extends Context.Tag("relaygate/TransactionService")<
  TransactionService,
  {
    readonly prepareP2P: (sessionId: string) => Ceremonial<Transaction>
    readonly broadcast: (txid: string) => Effect.Effect<Transaction, TransactionNotFound | InvalidTransactionState | CeremonyError>
    readonly confirm: (
      txid: string,
      confirmations: number
    ) => Effect.Effect<Transaction, TransactionNotFound | InvalidTransactionState | StoreUnavailable>
    readonly status: (txid: string) => Effect.Effect<Transaction, TransactionNotFound | StoreUnavailable>
    readonly list: (filter: TransactionFilter) => Effect.Effect<ReadonlyArray<Transaction>, StoreUnavailable>
  }
>() {}

export const make = Effect.gen(function*() {
  const store = yield* TransactionStore
  const sessions = yield* SessionService
  const ceremonies = yield* CeremonyService

  const load = (txid: string) =>
    Effect.flatMap(store.get(txid), Option.match({
      onNone: () => Effect.fail(new TransactionNotFound({ txid })),
      onSome: Effect.succeed
    }))

  /** Runs the session's manual ceremony up to and including `last`. */
  const runThrough = (s: Session, last: number) =>
    Effect.gen(function*() {
      let current = s
      while (current.ceremony !== null && current.ceremony.status === "running" && current.ceremony.current_step <= last) {
        current = yield* ceremonies.executeStep(s.session_id, current.ceremony.current_step)
      }
      return current
    })

  const fromSession = (s: Session, status: "prepared" | "broadcast", now: number): Transaction => {
    const a = s.ceremony!.artifacts
    return {
      txid: a.ark_txid!,
      session_id: s.session_id,
      tx_type: "p2p_transfer",
      status,
      sender_pubkey: s.user_pubkey,
      recipient_pubkey: a.recipient_pubkey ?? "",
      asset_id: a.asset_id ?? "BTC",
      amount_sats: a.amount ?? 0n,
      fee_sats: 0n,
      raw_tx: status === "prepared" ? a.ark_tx ?? null : a.final_ark_tx ?? a.ark_tx ?? null,
      confirmations: 0,
      created_at: now,
      updated_at: now,
      broadcast_at: status === "broadcast" ? now : null,
      confirmed_at: null,
      failure_reason: null
    }
  }

  const invalid = (s: Session, detail: string) =>
    new InvalidSessionState({ session_id: s.session_id, status: s.status, action: "prepare a p2p transfer", detail })

  return TransactionService.of({
    prepareP2P: Effect.fn("TransactionService.prepareP2P")(function*(sessionId: string) {
      const existing = yield* store.findBySession(sessionId)
      if (Option.isSome(existing)) return existing.value
      let s = yield* sessions.get(sessionId)
      if (s.session_type !== "p2p_transfer") return yield* invalid(s, `session_type is ${s.session_type}`)
      if (s.ceremony === null) s = yield* ceremonies.start(sessionId, { auto: false })
      const c = s.ceremony!
      if (c.status === "running" && c.auto) return yield* invalid(s, "its ceremony runs automatically; poll /signing/ceremony/{id}/status")
      if (c.status === "running") s = yield* runThrough(s, PREPARED_STEP)
      const done = s.ceremony!
      if (done.status !== "completed" && done.status !== "running") {
        return yield* invalid(s, `its ceremony is ${done.status}`)
      }
      const now = yield* Clock.currentTimeMillis
      const tx = fromSession(s, done.status === "completed" ? "broadcast" : "prepared", now)
      yield* store.insert(tx).pipe(Effect.catchTag("TransactionExists", () => Effect.void))
      return Option.getOrElse(yield* store.findBySession(sessionId), () => tx)
    }),

    broadcast: Effect.fn("TransactionService.broadcast")(function*(txid: string) {
      const tx = yield* load(txid)
      if (tx.status !== "prepared") {
        return yield* Either.match(Machine.broadcast(tx, null, 0), { onLeft: Effect.fail, onRight: () => Effect.succeed(tx) })
      }
      const s = yield* sessions.get(tx.session_id)
      const after = yield* runThrough(s, STEP_COUNT)
      if (after.ceremony?.status !== "completed") {
        return yield* invalid(after, `its ceremony is ${after.ceremony?.status ?? "missing"}`)
      }
      // Finalization recorded the broadcast; this covers a session completed by another route meanwhile.
      const now = yield* Clock.currentTimeMillis
      return yield* store.modify(txid, (cur) =>
        Either.map(Machine.broadcast(cur, after.ceremony!.artifacts.final_ark_tx ?? null, now), (next) => [next, next] as const))
        .pipe(Effect.catchTag("InvalidTransactionState", () => load(txid)))
    }),

    confirm: Effect.fn("TransactionService.confirm")(function*(txid: string, confirmations: number) {
      const now = yield* Clock.currentTimeMillis
      return yield* store.modify(txid, (cur) => Either.map(Machine.confirm(cur, confirmations, now), (next) => [next, next] as const))
    }),

    status: Effect.fn("TransactionService.status")(function*(txid: string) {
      return yield* load(txid)
    }),

    list: Effect.fn("TransactionService.list")(function*(filter: TransactionFilter) {
      return yield* store.list(filter)
    })
  })
})

export const layer = Layer.effect(TransactionService, make)
