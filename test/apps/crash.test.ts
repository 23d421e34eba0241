import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Effect } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { mariadbReachable } from "../support/mariadb.js"
import { redisReachable } from "../support/redis.js"
import { type Replica, sharedBackends, startReplica } from "../support/replicas.js"

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
  Effect.promise(async () => {
    const res = await fetch(`${replica.baseUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
    })
    const text = await res.text()
    let parsed: any = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // asserted as text
    }
    return { status: res.status, body: parsed }
  })

const servicesUp = (await mariadbReachable) && (await redisReachable)

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
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
