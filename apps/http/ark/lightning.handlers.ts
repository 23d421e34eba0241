import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { LightningService } from "../../../core/lightning/service.js"
import { toIso } from "../../../core/shared/time.js"
import { RelaygateApi } from "../api.js"
import { daemonOutage, invoiceView } from "./money-views.js"
import { storeOutage } from "./unavailable.js"

const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms))

export const LightningLive = HttpApiBuilder.group(RelaygateApi, "lightning", (handlers) =>
  Effect.gen(function*() {
    const lightning = yield* LightningService
    const lnd = daemonOutage("lnd")

    return handlers
      .handle("lift", ({ payload }) =>
        lightning.lift({
          user_pubkey: payload.user_pubkey,
          asset_id: payload.asset_id,
          amount_sats: BigInt(payload.amount_sats),
          session_id: payload.session_id
        }).pipe(Effect.map(invoiceView), lnd, storeOutage))
      .handle("land", ({ payload }) =>
        lightning.land({
          user_pubkey: payload.user_pubkey,
          asset_id: payload.asset_id,
          amount_sats: BigInt(payload.amount_sats),
          lightning_invoice: payload.lightning_invoice,
          session_id: payload.session_id
        }).pipe(Effect.map(invoiceView), lnd, storeOutage))
      .handle("pay", ({ path }) => lightning.pay(path.payment_hash.toLowerCase()).pipe(Effect.map(invoiceView), lnd, storeOutage))
      .handle("invoice", ({ path }) => lightning.get(path.payment_hash.toLowerCase()).pipe(Effect.map(invoiceView), storeOutage))
      .handle("invoices", ({ urlParams }) =>
        lightning.list(urlParams).pipe(
          Effect.map((list) => ({ invoices: list.map(invoiceView), count: list.length })),
          storeOutage
        ))
      .handle("payments", ({ urlParams }) =>
        lightning.list({ ...urlParams, invoice_type: "land" }).pipe(
          Effect.map((list) => ({ payments: list.map(invoiceView), count: list.length })),
          storeOutage
        ))
      .handle("balances", () =>
        lightning.balances().pipe(
          Effect.map(({ channel, wallet }) => ({
            lightning: {
              local_balance_sats: Number(channel.localSats),
              remote_balance_sats: Number(channel.remoteSats),
              pending_open_local_sats: Number(channel.pendingOpenLocalSats)
            },
            onchain: {
              confirmed_sats: Number(wallet.confirmedSats),
              unconfirmed_sats: Number(wallet.unconfirmedSats),
              total_sats: Number(wallet.confirmedSats + wallet.unconfirmedSats)
            },
            total_sats: Number(channel.localSats + wallet.confirmedSats + wallet.unconfirmedSats)
          })),
          lnd
        ))
      .handle("channels", () =>
        lightning.channels().pipe(
          Effect.map((list) => ({
            channels: list.map((c) => ({
              channel_id: c.channelId,
              remote_pubkey: c.remotePubkey,
              capacity_sats: Number(c.capacitySats),
              local_balance_sats: Number(c.localBalanceSats),
              remote_balance_sats: Number(c.remoteBalanceSats),
              active: c.active
            })),
            count: list.length
          })),
          lnd
        ))
      .handle("fees", ({ path }) =>
        lightning.estimateFee(BigInt(path.amount_sats)).pipe(
          Effect.map((f) => ({
            amount_sats: path.amount_sats,
            routing_fee_sats: Number(f.routingFeeSats),
            fee_limit_sats: Number(f.fee_limit_sats),
            time_lock_delay: f.timeLockDelay
          })),
          lnd
        ))
      .handle("activity", ({ path }) =>
        lightning.activity(path.user_pubkey).pipe(
          Effect.map((a) => ({
            user_pubkey: path.user_pubkey,
            invoices: a.invoices.map(invoiceView),
            count: a.invoices.length,
            lifted_sats: Number(a.lifted_sats),
            landed_sats: Number(a.landed_sats)
          })),
          storeOutage
        ))
      .handle("statistics", () =>
        lightning.statistics().pipe(
          Effect.map((rows) => {
            const by = (type: "lift" | "land") => Object.fromEntries(rows.filter((r) => r.invoice_type === type).map((r) => [r.status, r.count]))
            const paid = (type: "lift" | "land") =>
              rows.filter((r) => r.invoice_type === type && r.status === "paid").reduce((k, r) => k + Number(r.amount_sats), 0)
            return {
              total_invoices: rows.reduce((k, r) => k + r.count, 0),
              lift: by("lift"),
              land: by("land"),
              lifted_sats: paid("lift"),
              landed_sats: paid("land")
            }
          }),
          storeOutage
        ))
      .handle("health", () =>
        lightning.health().pipe(
          Effect.map((h) => ({
            healthy: h.subscription === "connected",
            subscription: h.subscription,
            connected_since: isoOrNull(h.connected_since),
            last_event_at: isoOrNull(h.last_event_at),
            settle_index: Number(h.settle_index),
            settlements_seen: h.settlements_seen,
            credited: h.credited,
            duplicates_ignored: h.duplicates_ignored,
            foreign_ignored: h.foreign_ignored,
            reconnects: h.reconnects,
            last_error: h.last_error
          }))
        ))
  }))
