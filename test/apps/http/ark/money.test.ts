import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import bolt11 from "bolt11"
import { Context, Effect, TestClock } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { LightningSimulator } from "../../../../adapters/memory/lightning.js"
import { TaprootAssetsSimulator } from "../../../../adapters/memory/taproot-assets.js"
import { eventually } from "../../../support/eventually.js"
import { walletInvoice } from "../../../support/lightning.js"
import { request, startApp } from "../../../support/http-app.js"

const user = () => getPublicKey(generateSecretKey())
const MAX = Number.MAX_SAFE_INTEGER

const setup = Effect.gen(function*() {
  const app = yield* startApp()
  const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
  const balance = (pubkey: string, asset = "BTC") => call("GET", `/balances/${pubkey}/${asset}`).pipe(Effect.map((r) => r.body))
  const ln = Context.get(app.context, LightningSimulator)
  const mint = (pubkey: string, amount: number, asset = "BTC") => call("POST", `/assets/${asset}/mint`, { user_pubkey: pubkey, amount })
  return { app, call, balance, ln, mint }
})

describe("ark money over HTTP", () => {
  it.scoped("workflow 4: create an asset, mint, transfer, read balances; bad amounts are 400 and change nothing", () =>
    Effect.gen(function*() {
      const { balance, call, mint } = yield* setup
      const [a, b] = [user(), user()]
      const created = yield* call("POST", "/assets", { asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC", total_supply: 0 })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ asset_id: "gBTC", ticker: "gBTC", type: "normal", decimal_places: 8, total_supply: 0, is_active: true })
      expect((yield* call("POST", "/assets", { asset_id: "gBTC", name: "again", ticker: "X" })).body.code).toBe("ASSET_EXISTS")
      expect((yield* call("GET", "/assets")).body.assets.map((x: { asset_id: string }) => x.asset_id)).toEqual(["BTC", "gBTC"])

      const minted = yield* mint(a, 250_000, "gBTC")
      expect(minted.status).toBe(200)
      expect(minted.body).toMatchObject({ success: true, amount: 250_000, balance: { balance: 250_000, available_balance: 250_000 } })
      const moved = yield* call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: b, asset_id: "gBTC", amount: 10_000 })
      expect(moved.status).toBe(200)
      expect(moved.body).toMatchObject({ sender_balance: { balance: 240_000 }, recipient_balance: { balance: 10_000 } })
      expect((yield* call("GET", `/balances/${a}`)).body).toMatchObject({ count: 1, balances: [{ asset_id: "gBTC", balance: 240_000 }] })
      expect((yield* call("GET", "/assets/gBTC")).body.circulating_supply).toBe(250_000)

      const before = [yield* balance(a, "gBTC"), yield* balance(b, "gBTC")]
      const transfer = (amount: unknown) => call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: b, asset_id: "gBTC", amount })
      for (const bad of [1.5, -5, 0, "100", MAX + 2, 1e300, null, true]) {
        const r = yield* transfer(bad)
        expect(r.status, `amount ${String(bad)}`).toBe(400)
        expect(r.body.code).toBe("VALIDATION_ERROR")
      }
      // JSON that loses precision still arrives as an unsafe number, and is refused.
      const unsafe = yield* call("POST", "/assets/transfer", `{"sender_pubkey":"${a}","recipient_pubkey":"${b}","asset_id":"gBTC","amount":9007199254740993}`)
      expect(unsafe.status).toBe(400)
      expect((yield* mint(a, -1, "gBTC")).status).toBe(400)
      expect((yield* call("POST", "/assets/gBTC/mint", "{oops")).status).toBe(400)
      const broke = yield* transfer(240_001)
      expect(broke.status).toBe(422)
      expect(broke.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", available: 240_000, requested: 240_001 })
      const self = yield* call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: a, asset_id: "gBTC", amount: 1 })
      expect(self.status).toBe(400)
      expect((yield* call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: b, asset_id: "NOPE", amount: 1 })).status).toBe(404)
      expect((yield* call("POST", "/assets/transfer", { sender_pubkey: "abc", recipient_pubkey: b, asset_id: "gBTC", amount: 1 })).status).toBe(400)
      expect([yield* balance(a, "gBTC"), yield* balance(b, "gBTC")]).toEqual(before)

      // Overflow: no balance and no supply past 2^53 − 1.
      const whale = user()
      expect((yield* mint(whale, MAX)).status).toBe(200)
      const over = yield* mint(whale, 1)
      expect(over.status).toBe(400)
      expect(over.body.code).toBe("AMOUNT_OVERFLOW")
      expect((yield* balance(whale)).balance).toBe(MAX)

      // A cap: total_supply bounds the circulating supply.
      yield* call("POST", "/assets", { asset_id: "CAP", name: "Capped", ticker: "CAP", total_supply: 1_000 })
      expect((yield* mint(a, 1_000, "CAP")).status).toBe(200)
      const capped = yield* mint(a, 1, "CAP")
      expect(capped.status).toBe(422)
      expect(capped.body.code).toBe("SUPPLY_CAP_EXCEEDED")

      const stats = (yield* call("GET", "/assets/stats")).body
      expect(stats).toMatchObject({ total_assets: 3, ledger_balanced: true })
      expect(stats.assets.find((x: { asset_id: string }) => x.asset_id === "gBTC")).toMatchObject({ circulating_supply: 250_000, holders: 2 })
    }))

  it.scoped("malformed input on the money routes is a 400 with the ark body, and changes nothing", () =>
    Effect.gen(function*() {
      const { call, mint } = yield* setup
      const u = user()
      yield* mint(u, 10_000)
      const snapshot = Effect.all([
        call("GET", "/assets/stats"),
        call("GET", "/vtxos/stats"),
        call("GET", "/lightning/statistics"),
        call("GET", `/balances/${u}`)
      ]).pipe(Effect.map((rs) => rs.map((r) => r.body)))
      const before = yield* snapshot
      const bad: ReadonlyArray<readonly [string, string, unknown]> = [
        ["POST", "/assets", { asset_id: "has space", name: "x", ticker: "x" }],
        ["POST", "/assets", { asset_id: "OK", name: "x", ticker: "x", total_supply: -1 }],
        ["POST", "/assets", { asset_id: "OK", name: "x", ticker: "x", decimal_places: 19 }],
        ["POST", "/assets/BTC/mint", { user_pubkey: u, amount: 0.5 }],
        ["POST", "/assets/BTC/mint", { user_pubkey: "npub1nope", amount: 5 }],
        ["POST", "/vtxos/batch/create", { asset_id: "BTC", count: 1.5, amount_sats: 5_000 }],
        ["POST", "/vtxos/batch/create", { asset_id: "BTC", count: 0, amount_sats: 5_000 }],
        ["POST", "/vtxos/assign", { user_pubkey: u, asset_id: "BTC", amount_needed: "1000" }],
        ["POST", "/vtxos/assign", { user_pubkey: u, asset_id: "BTC", amount_needed: -1 }],
        ["POST", "/vtxos/mark-spent", { vtxo_id: "nope", spending_txid: "ab".repeat(32) }],
        ["POST", "/vtxos/mark-spent", { vtxo_id: `${"ab".repeat(32)}:0`, spending_txid: "xyz" }],
        ["GET", `/vtxos/${u}?action=explode`, undefined],
        ["GET", `/vtxos/${u}?action=assign&asset_id=BTC&amount_needed=1.5`, undefined],
        ["POST", "/lightning/lift", { user_pubkey: u, amount_sats: MAX + 1 }],
        ["POST", "/lightning/land", { user_pubkey: u, amount_sats: 1_000 }],
        ["POST", "/lightning/land", { user_pubkey: u, amount_sats: 1_000, lightning_invoice: 42 }],
        ["POST", "/lightning/pay/not-a-hash", undefined],
        ["GET", "/lightning/fees/estimate/abc", undefined],
        ["GET", "/lightning/invoices?status=bogus", undefined],
        ["POST", "/transactions/p2p-transfer", { session_id: "" }],
        ["POST", `/transactions/user/confirm/${"ab".repeat(32)}`, { confirmations: 0 }],
        ["GET", "/balances/abc", undefined],
        ["POST", "/assets/transfer", "{\"sender_pubkey\":"]
      ]
      for (const [method, path, body] of bad) {
        const r = yield* call(method, path, body)
        expect(r.status, `${method} ${path}`).toBe(400)
        expect(typeof r.body.error, `${method} ${path}`).toBe("string")
        expect(typeof r.body.code, `${method} ${path}`).toBe("string")
      }
      expect(yield* snapshot).toEqual(before)
    }))

  it.scoped("reserve requirements weigh what users hold against inventory, tapd and lnd; node views describe lnd", () =>
    Effect.gen(function*() {
      const { app, call, mint } = yield* setup
      const u = user()
      yield* call("POST", "/assets", { asset_id: "gUSD", name: "Gateway USD", ticker: "gUSD" })
      yield* mint(u, 7_000, "gUSD")
      const short = (yield* call("GET", "/assets/gUSD/reserve")).body
      expect(short).toMatchObject({ liabilities: 7_000, required_reserve: 7_000, total_backing: 0, shortfall: 7_000, is_sufficient: false, reserve_ratio: 0 })
      yield* Context.get(app.context, TaprootAssetsSimulator).mint("gUSD", 5_000n)
      yield* call("POST", "/vtxos/batch/create", { asset_id: "gUSD", count: 2, amount_sats: 1_000 })
      const covered = (yield* call("GET", "/assets/gUSD/reserve")).body
      expect(covered).toMatchObject({ backing: { taproot_assets: 5_000, inventory_sats: 2_000, lightning_local_sats: 0 }, total_backing: 7_000, shortfall: 0, is_sufficient: true, reserve_ratio: 1 })
      const btc = (yield* call("GET", "/assets/BTC/reserve")).body
      expect(btc).toMatchObject({ liabilities: 0, reserve_ratio: null, is_sufficient: true, backing: { inventory_sats: 10 * 100_000 + 10 * 1_000_000 } })
      expect(btc.backing.lightning_local_sats).toBeGreaterThan(0)
      expect((yield* call("GET", "/assets/NOPE/reserve")).status).toBe(404)

      const balances = (yield* call("GET", "/lightning/balances")).body
      expect(balances.lightning.local_balance_sats).toBe(btc.backing.lightning_local_sats)
      expect(balances.total_sats).toBe(balances.lightning.local_balance_sats + balances.onchain.total_sats)
      const channels = (yield* call("GET", "/lightning/channels")).body
      expect(channels.count).toBeGreaterThan(0)
      expect(channels.channels.reduce((n: number, c: { local_balance_sats: number }) => n + c.local_balance_sats, 0)).toBe(balances.lightning.local_balance_sats)
      expect((yield* call("GET", "/lightning/fees/estimate/100000")).body).toMatchObject({ amount_sats: 100_000, fee_limit_sats: 1_000 })
      expect((yield* call("GET", "/lightning/monitor/health")).body).toMatchObject({ healthy: true, subscription: "connected" })
    }))

  it.scoped("workflow 5: batch, inventory, assign the smallest covering VTXO, mark spent once, settle, expire", () =>
    Effect.gen(function*() {
      const { call } = yield* setup
      const u = user()
      yield* call("POST", "/assets", { asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC" })
      expect((yield* call("POST", "/vtxos/batch/create", { asset_id: "gBTC", count: 101, amount_sats: 100_000 })).status).toBe(400)
      expect((yield* call("POST", "/vtxos/batch/create", { asset_id: "gBTC", count: 1, amount_sats: 999 })).body.code).toBe("INVALID_BATCH")
      const batch = yield* call("POST", "/vtxos/batch/create", { asset_id: "gBTC", count: 100, amount_sats: 100_000 })
      expect(batch.status).toBe(201)
      expect(batch.body).toMatchObject({ count: 100, amount_sats: 100_000, total_sats: 10_000_000 })
      expect(batch.body.vtxos).toHaveLength(100)
      yield* call("POST", "/vtxos/batch/create", { asset_id: "gBTC", count: 2, amount_sats: 50_000 })
      const inventory = (yield* call("GET", "/vtxos/inventory/gBTC")).body
      expect(inventory).toMatchObject({ available: 102, assigned: 0, total_vtxos: 102, needs_replenishment: false, min_available: 10 })

      const assigned = yield* call("POST", "/vtxos/assign", { user_pubkey: u, asset_id: "gBTC", amount_needed: 40_000 })
      expect(assigned.status).toBe(200)
      expect(assigned.body).toMatchObject({ amount_sats: 50_000, status: "assigned", user_pubkey: u })
      const none = yield* call("POST", "/vtxos/assign", { user_pubkey: u, asset_id: "gBTC", amount_needed: 100_001 })
      expect(none.status).toBe(409)
      expect(none.body).toMatchObject({ code: "NO_VTXO_AVAILABLE", amount_needed: 100_001 })
      expect((yield* call("GET", `/vtxos/user/${u}`)).body.count).toBe(1)

      const txid = "ab".repeat(32)
      const spent = yield* call("POST", "/vtxos/mark-spent", { vtxo_id: assigned.body.vtxo_id, spending_txid: txid })
      expect(spent.body).toMatchObject({ status: "spent", spending_txid: txid })
      expect((yield* call("POST", "/vtxos/mark-spent", { vtxo_id: assigned.body.vtxo_id, spending_txid: txid })).status).toBe(200)
      const twice = yield* call("POST", "/vtxos/mark-spent", { vtxo_id: assigned.body.vtxo_id, spending_txid: "cd".repeat(32) })
      expect(twice.status).toBe(409)
      expect(twice.body.code).toBe("VTXO_ALREADY_SPENT")

      expect((yield* call("GET", "/vtxos/settlement/status")).body).toMatchObject({ pending_vtxos: 1, pending_amount_sats: 50_000 })
      const settled = yield* call("POST", "/vtxos/settlement/process")
      expect(settled.body).toMatchObject({ processed: true, vtxo_count: 1, total_amount_sats: 50_000 })
      expect(settled.body.settlements[0].commitment_txid).toMatch(/^[0-9a-f]{64}$/)
      expect((yield* call("POST", "/vtxos/settlement/process")).body).toMatchObject({ processed: false, vtxo_count: 0 })
      expect((yield* call("GET", "/vtxos/settlement/status")).body).toMatchObject({ pending_vtxos: 0, last_settlement: { vtxo_count: 1 } })

      // The seed's GET /vtxos/{user}?action=… does the same things.
      const viaGet = yield* call("GET", `/vtxos/${u}?action=assign&asset_id=gBTC&amount_needed=60000`)
      expect(viaGet.body).toMatchObject({ action: "assign", count: 1, vtxos: [{ amount_sats: 100_000, status: "assigned" }] })
      const created = yield* call("GET", `/vtxos/${u}?action=create&asset_id=gBTC&amount_sats=5000&count=2`)
      expect(created.body).toMatchObject({ action: "create", count: 2 })
      expect(created.body.vtxos.every((v: { user_pubkey: string; amount_sats: number }) => v.user_pubkey === u && v.amount_sats === 5_000)).toBe(true)
      expect((yield* call("GET", `/vtxos/${u}`)).body).toMatchObject({ action: "list", count: 4 })
      expect((yield* call("GET", `/vtxos/${u}?action=spend`)).status).toBe(400)

      // VTXO_EXPIRATION_HOURS (24) later, cleanup expires what was not spent.
      yield* TestClock.adjust("24 hours")
      const cleaned = yield* call("POST", "/vtxos/cleanup")
      // 104 gBTC VTXOs, one spent; the 20 seeded BTC ones too.
      expect(cleaned.body.expired_count).toBe(103 + 20)
      const after = (yield* call("GET", "/vtxos/inventory/gBTC")).body
      expect(after).toMatchObject({ available: 0, expired: 103, spent: 1, needs_replenishment: true })
      expect((yield* call("POST", "/vtxos/assign", { user_pubkey: u, asset_id: "gBTC", amount_needed: 1 })).status).toBe(409)
      expect((yield* call("GET", "/vtxos/stats")).body).toMatchObject({ by_status: { expired: 123, spent: 1 } })
      expect((yield* call("POST", "/vtxos/monitor/stop")).body.running).toBe(false)
      expect((yield* call("GET", "/vtxos/monitor/status")).body.running).toBe(false)
      expect((yield* call("POST", "/vtxos/monitor/start")).body.running).toBe(true)
    }))

  it.scoped("workflow 2: a lift invoice any wallet decodes; paid once, credited once, a settlement replayed 10 times credits nothing more", () =>
    Effect.gen(function*() {
      const { balance, call, ln } = yield* setup
      const u = user()
      const lift = yield* call("POST", "/lightning/lift", { user_pubkey: u, asset_id: "BTC", amount_sats: 100_000 })
      expect(lift.status).toBe(201)
      expect(lift.body).toMatchObject({ invoice_type: "lift", status: "pending", amount_sats: 100_000, user_pubkey: u })
      const decoded = bolt11.decode(lift.body.bolt11_invoice, { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] })
      expect(decoded.satoshis).toBe(100_000)
      expect(decoded.tagsObject.payment_hash).toBe(lift.body.payment_hash)
      expect((yield* balance(u)).balance).toBe(0)

      // The user's wallet pays it; the settlement subscription credits the balance.
      yield* ln.payInvoice(lift.body.bolt11_invoice)
      yield* eventually(balance(u), (b) => b.balance === 100_000, "lift credited")
      expect((yield* call("GET", `/lightning/invoices/${lift.body.payment_hash}`)).body).toMatchObject({ status: "paid" })

      for (let i = 0; i < 10; i++) yield* ln.replaySettlement(lift.body.payment_hash)
      const health = yield* eventually(call("GET", "/lightning/monitor/health").pipe(Effect.map((r) => r.body)), (h) => h.duplicates_ignored === 10, "replays ignored")
      expect(health).toMatchObject({ healthy: true, credited: 1, duplicates_ignored: 10 })
      expect(yield* balance(u)).toMatchObject({ balance: 100_000, reserved_balance: 0 })
      expect((yield* call("GET", "/assets/BTC")).body.circulating_supply).toBe(100_000)
      expect((yield* call("GET", `/lightning/activity/${u}`)).body).toMatchObject({ count: 1, lifted_sats: 100_000, landed_sats: 0 })

      expect((yield* call("POST", "/lightning/lift", { user_pubkey: u, amount_sats: 0 })).status).toBe(400)
      expect((yield* call("POST", "/lightning/lift", { user_pubkey: u, asset_id: "NOPE", amount_sats: 5 })).status).toBe(404)
      expect((yield* call("POST", `/lightning/pay/${lift.body.payment_hash}`)).body.code).toBe("INVOICE_NOT_PAYABLE")
    }))

  it.scoped("workflow 3: land checks the invoice before reserving, pays, and debits exactly once", () =>
    Effect.gen(function*() {
      const { balance, call, mint } = yield* setup
      const u = user()
      yield* mint(u, 100_000)
      const start = yield* balance(u)
      const land = (lightning_invoice: string, amount_sats = 50_000) =>
        call("POST", "/lightning/land", { user_pubkey: u, asset_id: "BTC", amount_sats, lightning_invoice })

      // Nothing is reserved for an invoice that fails a check.
      const refusals: ReadonlyArray<[string, string, number?]> = [
        [walletInvoice({ sats: 50_000, network: "mainnet" }).paymentRequest, "NETWORK_MISMATCH"],
        [walletInvoice({ sats: 50_000, network: "testnet" }).paymentRequest, "NETWORK_MISMATCH"],
        [walletInvoice({ sats: 49_999 }).paymentRequest, "AMOUNT_MISMATCH"],
        [walletInvoice({}).paymentRequest, "AMOUNT_MISMATCH"],
        [walletInvoice({ msat: "50000001" }).paymentRequest, "AMOUNT_MISMATCH"],
        ["lnbcrt500u1notaninvoice", "INVALID_INVOICE"],
        [walletInvoice({ sats: 500_000 }).paymentRequest, "INSUFFICIENT_FUNDS", 500_000]
      ]
      for (const [invoice, code, amount] of refusals) {
        const r = yield* land(invoice, amount)
        expect(r.body.code, code).toBe(code)
        expect(r.status).toBeGreaterThanOrEqual(400)
        expect(r.status).toBeLessThan(500)
        expect(yield* balance(u)).toEqual(start)
      }

      const invoice = walletInvoice({ sats: 50_000 })
      const landed = yield* land(invoice.paymentRequest)
      expect(landed.status).toBe(201)
      expect(landed.body).toMatchObject({ invoice_type: "land", status: "pending", payment_hash: invoice.paymentHash })
      expect(yield* balance(u)).toMatchObject({ balance: 100_000, reserved_balance: 50_000, available_balance: 50_000 })
      const again = yield* land(invoice.paymentRequest)
      expect(again.status).toBe(409)
      expect(again.body.code).toBe("INVOICE_EXISTS")
      expect(yield* balance(u)).toMatchObject({ reserved_balance: 50_000 })

      const paid = yield* call("POST", `/lightning/pay/${invoice.paymentHash}`)
      expect(paid.status).toBe(200)
      expect(paid.body).toMatchObject({ status: "paid", payment_attempts: 1 })
      expect(paid.body.payment_preimage).toMatch(/^[0-9a-f]{64}$/)
      expect(yield* balance(u)).toMatchObject({ balance: 50_000, reserved_balance: 0, available_balance: 50_000 })
      const repay = yield* call("POST", `/lightning/pay/${invoice.paymentHash}`)
      expect(repay.status).toBe(409)
      expect(yield* balance(u)).toMatchObject({ balance: 50_000 })
      expect((yield* call("GET", "/assets/BTC")).body.circulating_supply).toBe(50_000)
      expect((yield* call("GET", "/lightning/payments")).body).toMatchObject({ count: 1, payments: [{ status: "paid" }] })
      expect((yield* call("GET", "/lightning/statistics")).body).toMatchObject({ landed_sats: 50_000, land: { paid: 1 } })
    }))

  it.scoped("a failed land payment leaves the balance exactly as before; one stuck in flight settles later", () =>
    Effect.gen(function*() {
      const { balance, call, ln, mint } = yield* setup
      const u = user()
      yield* mint(u, 80_000)
      const before = yield* balance(u)
      const land = (paymentRequest: string, amount_sats: number) =>
        call("POST", "/lightning/land", { user_pubkey: u, amount_sats, lightning_invoice: paymentRequest })

      yield* ln.setPaymentBehaviour("fail")
      const failing = walletInvoice({ sats: 30_000 })
      expect((yield* land(failing.paymentRequest, 30_000)).status).toBe(201)
      const failed = yield* call("POST", `/lightning/pay/${failing.paymentHash}`)
      expect(failed.status).toBe(422)
      expect(failed.body).toMatchObject({ code: "PAYMENT_FAILED", payment_hash: failing.paymentHash })
      expect(yield* balance(u)).toEqual(before)
      expect((yield* call("GET", `/lightning/invoices/${failing.paymentHash}`)).body).toMatchObject({ status: "failed" })
      expect((yield* call("POST", `/lightning/pay/${failing.paymentHash}`)).status).toBe(409)
      expect(yield* balance(u)).toEqual(before)

      yield* ln.setPaymentBehaviour("in_flight")
      const slow = walletInvoice({ sats: 20_000 })
      yield* land(slow.paymentRequest, 20_000)
      const pending = yield* call("POST", `/lightning/pay/${slow.paymentHash}`)
      expect(pending.body).toMatchObject({ status: "in_flight" })
      expect(yield* balance(u)).toMatchObject({ balance: 80_000, reserved_balance: 20_000 })
      expect((yield* call("POST", `/lightning/pay/${slow.paymentHash}`)).status).toBe(409)
      yield* ln.resolvePayment(slow.paymentHash, "succeed")
      expect((yield* call("GET", `/lightning/invoices/${slow.paymentHash}`)).body).toMatchObject({ status: "paid" })
      expect(yield* balance(u)).toMatchObject({ balance: 60_000, reserved_balance: 0 })

      // An unpaid land whose invoice expires gives its reservation back.
      yield* ln.setPaymentBehaviour("succeed")
      const late = walletInvoice({ sats: 10_000, timestamp: 0, expirySeconds: 3600 })
      yield* land(late.paymentRequest, 10_000)
      expect((yield* balance(u)).reserved_balance).toBe(10_000)
      yield* TestClock.adjust("61 minutes")
      const expired = yield* call("POST", `/lightning/pay/${late.paymentHash}`)
      expect(expired.status).toBe(409)
      expect(yield* balance(u)).toMatchObject({ balance: 60_000, reserved_balance: 0 })
      expect((yield* land(walletInvoice({ sats: 10_000, timestamp: 0, expirySeconds: 60 }).paymentRequest, 10_000)).body.code).toBe("INVOICE_EXPIRED")
    }))

  it.scoped("workflow 1 through the transaction routes: prepare reserves, broadcast moves the balance once, confirm, history", () =>
    Effect.gen(function*() {
      const { balance, call, mint } = yield* setup
      const sk = generateSecretKey()
      const sender = getPublicKey(sk)
      const recipient = user()
      yield* mint(sender, 30_000)
      const created = yield* call("POST", "/sessions/create", {
        user_pubkey: sender,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient, amount: 25_000, asset_id: "BTC" }
      })
      const id = created.body.session_id
      const challenge = yield* call("POST", `/sessions/${id}/challenge`)
      const signature = bytesToHex(schnorr.sign(sha256(new TextEncoder().encode(challenge.body.challenge_data)), sk))
      expect((yield* call("POST", `/sessions/${id}/respond`, { signature })).status).toBe(200)

      const prepared = yield* call("POST", "/transactions/p2p-transfer", { session_id: id })
      expect(prepared.status).toBe(200)
      expect(prepared.body).toMatchObject({ status: "prepared", session_id: id, amount_sats: 25_000, sender_pubkey: sender, recipient_pubkey: recipient })
      const txid = prepared.body.txid
      expect((yield* call("POST", "/transactions/p2p-transfer", { session_id: id })).body.txid).toBe(txid)
      expect(yield* balance(sender)).toMatchObject({ balance: 30_000, reserved_balance: 25_000 })
      expect((yield* call("POST", `/transactions/user/confirm/${txid}`)).status).toBe(409)

      const sent = yield* call("POST", `/transactions/${txid}/broadcast`)
      expect(sent.status).toBe(200)
      expect(sent.body).toMatchObject({ txid, status: "broadcast" })
      expect((yield* call("POST", `/transactions/${txid}/broadcast`)).body.status).toBe("broadcast")
      expect(yield* balance(sender)).toMatchObject({ balance: 5_000, reserved_balance: 0 })
      expect(yield* balance(recipient)).toMatchObject({ balance: 25_000 })
      expect((yield* call("GET", `/sessions/${id}`)).body.status).toBe("completed")

      const confirmed = yield* call("POST", `/transactions/user/confirm/${txid}`, { confirmations: 3 })
      expect(confirmed.body).toMatchObject({ status: "confirmed", confirmations: 3 })
      expect((yield* call("GET", `/transactions/${txid}/status`)).body.status).toBe("confirmed")
      expect((yield* call("GET", `/transactions/user/${recipient}`)).body).toMatchObject({ count: 1, transactions: [{ txid }] })
      expect((yield* call("GET", `/transactions/${"00".repeat(32)}/status`)).status).toBe(404)
      expect((yield* call("GET", "/transactions/nothex/status")).status).toBe(400)

      // The inventory VTXO it spent is marked spent with the ark txid, and the change came back.
      const spent = (yield* call("GET", `/vtxos/user/${sender}?status=spent`)).body
      expect(spent.vtxos).toMatchObject([{ spending_txid: txid, amount_sats: 100_000 }])
      expect((yield* call("GET", "/vtxos/settlement/status")).body.pending_vtxos).toBe(1)
    }))
})
