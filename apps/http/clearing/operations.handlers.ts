import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ClearingService } from "../../../core/clearing/clearing.service.js"
import { InvalidClearingRequest } from "../../../core/clearing/errors.js"
import { type PacketKey, parsePacketId } from "../../../core/clearing/model.js"
import { RelaygateApi } from "../api.js"
import { ClearingUser } from "./auth.js"
import { outage } from "./errors.js"
import { makeLimited } from "./limits.js"
import type { RequestTokenBody } from "./operations.js"
import { clearingJson } from "./views.js"

/** Every packet the body names, in any of the accepted spellings. */
const packetsOf = (body: typeof RequestTokenBody.Type) =>
  Effect.gen(function*() {
    const refs = [...(body.packets ?? []), ...(body.targets?.packets ?? [])]
    const keys: Array<PacketKey> = []
    for (const r of refs) {
      const chain = r.chain_id ?? r.chain
      if (chain === undefined || chain === "") return yield* Effect.fail(new InvalidClearingRequest({ reason: "every packet needs a chain_id" }))
      keys.push({ chain_id: chain, src_channel: r.channel, sequence: r.sequence })
    }
    for (const id of body.packet_ids ?? []) {
      const key = parsePacketId(id)
      if (key === undefined) return yield* Effect.fail(new InvalidClearingRequest({ reason: `not a packet id: ${id}` }))
      keys.push(key)
    }
    return keys
  })

export const ClearingOperationsLive = HttpApiBuilder.group(RelaygateApi, "clearing-operations", (handlers) =>
  Effect.gen(function*() {
    const clearing = yield* ClearingService
    const limited = yield* makeLimited
    return handlers
      .handle("requestToken", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* ClearingUser
          const created = yield* clearing.request({
            user_id: user.user_id,
            wallet_address: payload.wallet_address ?? payload.walletAddress ?? user.wallet_address,
            packets: yield* packetsOf(payload)
          })
          return clearingJson(created.request)
        }).pipe(limited, outage))
      .handle("verifyPayment", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* ClearingUser
          const paid = yield* clearing.submitPayment(payload.token, payload.tx_hash ?? payload.txHash ?? "", user.user_id)
          return clearingJson(paid)
        }).pipe(limited, outage))
      .handle("status", ({ path }) =>
        Effect.gen(function*() {
          const user = yield* ClearingUser
          return clearingJson(yield* clearing.get(path.token, user.user_id))
        }).pipe(limited, outage))
      .handle("operations", () =>
        Effect.gen(function*() {
          const user = yield* ClearingUser
          const list = yield* clearing.listForUser(user.user_id)
          return { operations: list.map(clearingJson) }
        }).pipe(limited, outage))
  }))
