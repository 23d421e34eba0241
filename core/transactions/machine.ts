import { Either } from "effect"
import { InvalidTransactionState } from "./errors.js"
import type { Transaction } from "./model.js"

const invalid = (tx: Transaction, action: string) => new InvalidTransactionState({ txid: tx.txid, status: tx.status, action })

/** arkd finalized it. Again is a no-op; a failed transaction stays failed. */
export const broadcast = (tx: Transaction, rawTx: string | null, now: number): Either.Either<Transaction, InvalidTransactionState> => {
  if (tx.status === "broadcast" || tx.status === "confirmed") return Either.right(tx)
  if (tx.status === "failed") return Either.left(invalid(tx, "broadcast it"))
  return Either.right({ ...tx, status: "broadcast", raw_tx: rawTx ?? tx.raw_tx, broadcast_at: now, updated_at: now })
}

/** Only a broadcast transaction confirms; confirming again can only raise the count. */
export const confirm = (tx: Transaction, confirmations: number, now: number): Either.Either<Transaction, InvalidTransactionState> => {
  if (tx.status === "confirmed") {
    return Either.right(confirmations > tx.confirmations ? { ...tx, confirmations, updated_at: now } : tx)
  }
  if (tx.status !== "broadcast") return Either.left(invalid(tx, "confirm it"))
  return Either.right({ ...tx, status: "confirmed", confirmations: Math.max(1, confirmations), confirmed_at: now, updated_at: now })
}

/** A prepared transaction whose ceremony failed. Once broadcast the money moved, so it never fails after. */
export const fail = (tx: Transaction, reason: string, now: number): Transaction =>
  tx.status === "prepared" ? { ...tx, status: "failed", failure_reason: reason, updated_at: now } : tx
