import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { TransactionService } from "../../../core/transactions/service.js"
import { RelaygateApi } from "../api.js"
import { optionalJsonBody } from "../body.js"
import { transactionView } from "./money-views.js"
import { ConfirmBody } from "./transactions.js"
import { arkInvalid, storeOutage } from "./unavailable.js"

export const TransactionsLive = HttpApiBuilder.group(RelaygateApi, "transactions", (handlers) =>
  Effect.gen(function*() {
    const transactions = yield* TransactionService
    return handlers
      .handle("prepare", ({ payload }) => transactions.prepareP2P(payload.session_id).pipe(Effect.map(transactionView), storeOutage))
      .handle("status", ({ path }) => transactions.status(path.txid.toLowerCase()).pipe(Effect.map(transactionView), storeOutage))
      .handle("broadcast", ({ path }) => transactions.broadcast(path.txid.toLowerCase()).pipe(Effect.map(transactionView), storeOutage))
      .handle("user", ({ path, urlParams }) =>
        transactions.list({ user_pubkey: path.user_pubkey, status: urlParams.status, limit: urlParams.limit }).pipe(
          Effect.map((list) => ({ user_pubkey: path.user_pubkey, transactions: list.map(transactionView), count: list.length })),
          storeOutage
        ))
      .handle("confirm", ({ path, request }) =>
        optionalJsonBody(request, ConfirmBody, arkInvalid).pipe(
          Effect.flatMap((body) => transactions.confirm(path.txid.toLowerCase(), body.confirmations ?? 1)),
          Effect.map(transactionView),
          storeOutage
        ))
  }))
