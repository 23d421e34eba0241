import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Context, Effect } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import * as SimulatedLnd from "../../adapters/memory/lightning.js"
import { Lightning } from "../../ports/lightning.js"
import { eventually } from "../support/eventually.js"
import { fakeLnd } from "../support/fake-lnd.js"
import { jsonClient } from "../support/http-app.js"
import { walletInvoice } from "../support/lightning.js"
import { mariadbReachable } from "../support/mariadb.js"
import { redisReachable } from "../support/redis.js"
import { jobsLedBy, type Replica, sharedBackends, startReplica } from "../support/replicas.js"
import { canMakeCertificates, throwawayCredentials } from "../support/tls.js"

/*
 * kill -9 of a replica in the middle of a signing ceremony: what it had
 * committed to MariaDB is all there after a restart, the ceremony goes on
 * from where it stopped (or fails cleanly), and money moves once or not at all.
 */

const wallet = () => {
  const sk = generateSecretKey()
  return {
    pubkey: getPublicKey(sk),
    sign: (challengeData: string) => bytesToHex(schnorr.sign(sha256(new TextEncoder().encode(challengeData)), sk))
  }
}

const call = (replica: Replica, method: string, path: string, body?: unknown) =>
  jsonClient(replica.baseUrl)(method, path, body === undefined ? {} : { body })

const servicesUp = (await mariadbReachable) && (await redisReachable)

/** An lnd that outlives the app's processes: a simulator behind a fake gRPC server (TLS + macaroon). */
const externalLnd = Effect.gen(function*() {
  const sim = yield* SimulatedLnd.make()
  const creds = yield* throwawayCredentials
  const server = yield* fakeLnd({ tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(Context.make(Lightning, sim.lightning)))
  return {
    lnd: sim.simulator,
    env: { LND_HOST: "127.0.0.1", LND_PORT: String(server.port), LND_TLS_CERT: creds.certPath, LND_MACAROON: creds.macaroonPath }
  }
})

describe.skipIf(!servicesUp && process.env["CI"] !== "true")("kill -9 during a ceremony, on MariaDB and Redis", () => {
  it.live("after a restart nothing committed is lost, the ceremony continues or fails cleanly, and money moves at most once", () =>
    Effect.gen(function*() {
      const env = { ...(yield* sharedBackends), GATEWAY_PRIVATE_KEY: "22".repeat(32) }
      const sender = wallet()
      const recipient = wallet()
      const first = yield* startReplica(env)

      expect((yield* call(first, "POST", "/assets/BTC/mint", { user_pubkey: sender.pubkey, amount: 1_000_000 })).status).toBe(200)
      const created = yield* call(first, "POST", "/sessions/create", {
        user_pubkey: sender.pubkey,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient.pubkey, amount: 10_000, asset_id: "BTC" }
      })
      const id: string = created.body.session_id
      const challenge = yield* call(first, "POST", `/sessions/${id}/challenge`)
      expect((yield* call(first, "POST", `/sessions/${id}/respond`, { signature: sender.sign(challenge.body.challenge_data), user_pubkey: sender.pubkey })).status).toBe(200)
      const started = yield* call(first, "POST", "/signing/ceremony/start", { session_id: id, auto_execute: false })
      expect(started.body).toMatchObject({ status: "running", current_step: 1 })
      for (const step of [1, 2, 3]) expect((yield* call(first, "POST", `/signing/ceremony/${id}/step/${step}`)).status).toBe(200)
      const before = (yield* call(first, "GET", `/balances/${sender.pubkey}/BTC`)).body
      // The ceremony holds the amount from intent verification on.
      expect(before).toMatchObject({ reserved_balance: 10_000, available_balance: 990_000 })

      yield* first.kill("SIGKILL")
      expect(yield* Effect.promise(() => first.exited)).toBeNull()

      const second = yield* startReplica(env)
      // Nothing committed was lost.
      const resumed = (yield* call(second, "GET", `/signing/ceremony/${id}/status`)).body
      expect(resumed).toMatchObject({ status: "running", current_step: 4, completed_steps: 3 })
      expect((yield* call(second, "GET", `/balances/${sender.pubkey}/BTC`)).body).toMatchObject(before)

      // The client carries on against the new process; every step either runs or ends the ceremony cleanly.
      for (const step of [4, 5, 6]) {
        const r = yield* call(second, "POST", `/signing/ceremony/${id}/step/${step}`)
        if (r.status !== 200) break
      }
      const end = (yield* call(second, "GET", `/sessions/${id}`)).body
      expect(["completed", "failed"]).toContain(end.status)
      const senderAfter = (yield* call(second, "GET", `/balances/${sender.pubkey}/BTC`)).body
      const recipientAfter = (yield* call(second, "GET", `/balances/${recipient.pubkey}/BTC`)).body
      if (end.status === "completed") {
        expect(senderAfter).toMatchObject({ reserved_balance: 0, available_balance: 990_000 })
        expect(recipientAfter).toMatchObject({ available_balance: 10_000 })
      } else {
        expect(senderAfter).toMatchObject({ reserved_balance: 0, available_balance: 1_000_000 })
        expect(recipientAfter).toMatchObject({ available_balance: 0 })
      }
      // Replaying the last step changes nothing.
      yield* call(second, "POST", `/signing/ceremony/${id}/step/6`)
      expect((yield* call(second, "GET", `/balances/${sender.pubkey}/BTC`)).body).toEqual(senderAfter)
    }).pipe(Effect.scoped), { timeout: 180_000 })
})

describe.skipIf((!servicesUp && process.env["CI"] !== "true") || !canMakeCertificates)("kill -9 around Lightning, on MariaDB and Redis", () => {
  it.live("a lift paid while its replica is dead is credited once after the restart", () =>
    Effect.gen(function*() {
      const { env: lndEnv, lnd } = yield* externalLnd
      const env = { ...(yield* sharedBackends), ...lndEnv, GATEWAY_PRIVATE_KEY: "44".repeat(32) }
      const user = getPublicKey(generateSecretKey())
      const first = yield* startReplica(env)
      const lift = yield* call(first, "POST", "/lightning/lift", { user_pubkey: user, asset_id: "BTC", amount_sats: 100_000 })
      expect(lift.status).toBe(201)
      yield* first.kill("SIGKILL")

      yield* lnd.payInvoice(lift.body.bolt11_invoice)
      const second = yield* startReplica(env)
      yield* eventually(call(second, "GET", `/balances/${user}/BTC`), (r) => r.body.available_balance === 100_000, "credited after restart", 45_000)
      for (let i = 0; i < 3; i++) yield* lnd.replaySettlement(lift.body.payment_hash)
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 500)))
      expect((yield* call(second, "GET", `/balances/${user}/BTC`)).body).toMatchObject({ available_balance: 100_000, reserved_balance: 0 })
      expect((yield* call(second, "GET", `/lightning/invoices/${lift.body.payment_hash}`)).body).toMatchObject({ status: "paid" })
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("a land payment in flight when its replica is killed is debited once when it succeeds, after the restart", () =>
    Effect.gen(function*() {
      const { env: lndEnv, lnd } = yield* externalLnd
      const env = { ...(yield* sharedBackends), ...lndEnv, GATEWAY_PRIVATE_KEY: "55".repeat(32) }
      const user = getPublicKey(generateSecretKey())
      const first = yield* startReplica(env)
      expect((yield* call(first, "POST", "/assets/BTC/mint", { user_pubkey: user, amount: 80_000 })).status).toBe(200)
      yield* lnd.setPaymentBehaviour("in_flight")
      const invoice = walletInvoice({ sats: 20_000 })
      expect((yield* call(first, "POST", "/lightning/land", { user_pubkey: user, amount_sats: 20_000, lightning_invoice: invoice.paymentRequest })).status).toBe(201)
      expect((yield* call(first, "POST", `/lightning/pay/${invoice.paymentHash}`)).body).toMatchObject({ status: "in_flight" })
      expect((yield* call(first, "GET", `/balances/${user}/BTC`)).body).toMatchObject({ available_balance: 60_000, reserved_balance: 20_000 })
      yield* first.kill("SIGKILL")

      // lnd finishes the payment while the gateway is down.
      yield* lnd.resolvePayment(invoice.paymentHash, "succeed")
      const second = yield* startReplica(env)
      yield* eventually(
        call(second, "GET", `/lightning/invoices/${invoice.paymentHash}`),
        (r) => r.body.status === "paid",
        "the in-flight payment is followed up after the restart",
        45_000
      )
      expect((yield* call(second, "GET", `/balances/${user}/BTC`)).body).toMatchObject({ available_balance: 60_000, reserved_balance: 0 })
      // Paying again is refused and moves nothing.
      expect((yield* call(second, "POST", `/lightning/pay/${invoice.paymentHash}`)).status).toBe(409)
      expect((yield* call(second, "GET", `/balances/${user}/BTC`)).body).toMatchObject({ available_balance: 60_000, reserved_balance: 0 })
    }).pipe(Effect.scoped), { timeout: 180_000 })
})

describe.skipIf(!servicesUp && process.env["CI"] !== "true")("background jobs across replicas", () => {
  it.live("each job runs on one replica, and moves to the other when its replica is killed", () =>
    Effect.gen(function*() {
      const env = { ...(yield* sharedBackends), GATEWAY_PRIVATE_KEY: "66".repeat(32) }
      const [a, b] = yield* Effect.all([startReplica(env), startReplica(env)], { concurrency: 2 })
      const led = jobsLedBy
      const JOBS = ["signing.sweep", "epochs.rollover", "ark.inventory", "ark.settlement", "ark.money-sweep"]
      yield* eventually(Effect.sync(() => [...led(a), ...led(b)]), (all) => JOBS.every((j) => all.includes(j)), "every job has a runner", 45_000)
      // Give the loser every chance to (wrongly) start the job too.
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 6_000)))
      for (const job of JOBS) expect(Number(led(a).has(job)) + Number(led(b).has(job))).toBe(1)

      const [leader, other] = led(a).has("signing.sweep") ? [a, b] : [b, a]
      const moving = JOBS.filter((j) => led(leader).has(j))
      yield* leader.kill("SIGKILL")
      // The lock ttl is 15 s, polled every 5 s: a dead replica's jobs move within about 20 s.
      yield* eventually(Effect.sync(() => led(other)), (jobs) => moving.every((j) => jobs.has(j)), "the jobs move to the surviving replica", 40_000)
    }).pipe(Effect.scoped), { timeout: 180_000 })
})

describe.skipIf(!servicesUp && process.env["CI"] !== "true")("kill -9 under load", () => {
  it.live("mints racing a kill -9: after a restart every acknowledged one is there exactly once, none is applied twice, the books balance", () =>
    Effect.gen(function*() {
      const env = { ...(yield* sharedBackends), GATEWAY_PRIVATE_KEY: "99".repeat(32), RATE_LIMIT_ENABLED: "false" }
      const first = yield* startReplica(env)
      // One mint per user, each of its own amount: a mint applied twice would show as double.
      const users = Array.from({ length: 300 }, (_, i) => ({ pubkey: wallet().pubkey, amount: 1_000 + i }))
      const acknowledged = new Set<string>()
      let next = 0
      const worker = async () => {
        while (next < users.length) {
          const u = users[next++]!
          // A dead replica's refusal is a defect of the client call, not a failure: read the exit.
          const r = await Effect.runPromise(Effect.exit(call(first, "POST", "/assets/BTC/mint", { user_pubkey: u.pubkey, amount: u.amount })))
          if (r._tag === "Success" && r.value.status === 200) acknowledged.add(u.pubkey)
        }
      }
      const load = Promise.all(Array.from({ length: 16 }, worker))
      yield* eventually(Effect.sync(() => acknowledged.size), (n) => n >= 60, "the load is under way", 60_000)
      yield* first.kill("SIGKILL")
      yield* Effect.promise(() => load)
      expect(acknowledged.size).toBeLessThan(users.length)

      const second = yield* startReplica(env)
      const balances = yield* Effect.forEach(users, (u) =>
        Effect.map(call(second, "GET", `/balances/${u.pubkey}/BTC`), (r) => ({ ...u, held: r.status === 200 ? r.body.available_balance as number : 0 })), { concurrency: 8 })
      const lost = balances.filter((b) => acknowledged.has(b.pubkey) && b.held !== b.amount)
      const wrong = balances.filter((b) => b.held !== 0 && b.held !== b.amount)
      console.log(JSON.stringify({ sent: next, acknowledged: acknowledged.size, applied: balances.filter((b) => b.held === b.amount).length, lost: lost.length, wrong: wrong.length }))
      expect(lost).toEqual([])
      expect(wrong).toEqual([])
      expect((yield* call(second, "GET", "/assets/stats")).body).toMatchObject({ ledger_balanced: true })
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
