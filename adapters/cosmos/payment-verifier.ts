import { HttpClient } from "@effect/platform"
import { Duration, Effect, Layer, Option } from "effect"
import type { PaymentTx, Transfer } from "../../core/clearing/model.js"
import { PaymentVerifier, PaymentVerifierUnavailable } from "../../ports/payment-verifier.js"
import * as Breaker from "../resilience/breaker.js"

export interface CosmosRestSettings {
  /** COSMOS_REST_<CHAIN>: LCD base URL per chain id. */
  readonly endpoints: ReadonlyMap<string, string>
  readonly timeout?: Duration.DurationInput | undefined
}

type Json = Record<string, unknown>
const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === "string" ? v : "")
const list = (v: unknown): ReadonlyArray<unknown> => (Array.isArray(v) ? v : [])

const coins = (v: unknown): ReadonlyArray<{ readonly amount: bigint; readonly denom: string }> =>
  list(v).flatMap((c) => (isRecord(c) && /^\d+$/.test(str(c["amount"])) && str(c["denom"]) !== "" ? [{ amount: BigInt(str(c["amount"])), denom: str(c["denom"]) }] : []))

/** Bank transfers in a tx's messages, including those an authz grantee executed. */
export const transfersOf = (messages: ReadonlyArray<unknown>): ReadonlyArray<Transfer> =>
  messages.flatMap((m): ReadonlyArray<Transfer> => {
    if (!isRecord(m)) return []
    switch (m["@type"]) {
      case "/cosmos.bank.v1beta1.MsgSend":
        return coins(m["amount"]).map((c) => ({ from: str(m["from_address"]), to: str(m["to_address"]), ...c }))
      case "/cosmos.bank.v1beta1.MsgMultiSend": {
        const from = list(m["inputs"]).length === 1 && isRecord(list(m["inputs"])[0]) ? str((list(m["inputs"])[0] as Json)["address"]) : ""
        return list(m["outputs"]).flatMap((o) => (isRecord(o) ? coins(o["coins"]).map((c) => ({ from, to: str(o["address"]), ...c })) : []))
      }
      case "/cosmos.authz.v1beta1.MsgExec":
        return transfersOf(list(m["msgs"]))
      default:
        return []
    }
  })

/** GetTxResponse of cosmos.tx.v1beta1 → PaymentTx; undefined if the answer lacks the essentials. */
export const toPaymentTx = (chainId: string, body: unknown): PaymentTx | undefined => {
  if (!isRecord(body) || !isRecord(body["tx_response"])) return undefined
  const res = body["tx_response"]
  const tx = isRecord(body["tx"]) ? body["tx"] : isRecord(res["tx"]) ? res["tx"] : undefined
  const txBody = tx !== undefined && isRecord(tx["body"]) ? tx["body"] : undefined
  const height = Number(res["height"])
  const code = typeof res["code"] === "number" ? res["code"] : Number(res["code"] ?? 0)
  if (str(res["txhash"]) === "" || !Number.isSafeInteger(height) || !Number.isInteger(code) || txBody === undefined) return undefined
  const time = Date.parse(str(res["timestamp"]))
  return {
    chain_id: chainId,
    tx_hash: str(res["txhash"]).toUpperCase(),
    code,
    height,
    time: Number.isNaN(time) ? null : time,
    memo: str(txBody["memo"]),
    transfers: transfersOf(list(txBody["messages"]))
  }
}

/** Cosmos SDK REST (LCD): `GET /cosmos/tx/v1beta1/txs/{hash}` on the paying chain. */
export const make = (settings: CosmosRestSettings) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const timeout = settings.timeout ?? "10 seconds"
    const breakers = new Map<string, Breaker.Breaker>()
    for (const chainId of settings.endpoints.keys()) breakers.set(chainId, yield* Breaker.registered(`cosmos-rest:${chainId}`))
    return PaymentVerifier.of({
      fetchTx: Effect.fn("PaymentVerifier.fetchTx")(function*(chainId: string, txHash: string) {
        const unavailable = (reason: string, cause?: unknown) => new PaymentVerifierUnavailable({ chain_id: chainId, reason, cause })
        const base = settings.endpoints.get(chainId)
        if (base === undefined) return yield* Effect.fail(unavailable("no Cosmos REST endpoint configured for this chain"))
        const url = `${base.replace(/\/+$/, "")}/cosmos/tx/v1beta1/txs/${encodeURIComponent(txHash)}`
        const res = yield* client.get(url, { headers: { accept: "application/json" } }).pipe(
          Effect.timeoutFail({ duration: timeout, onTimeout: () => unavailable(`no answer within ${Duration.format(timeout)}`) }),
          Effect.catchTags({
            RequestError: (e) => Effect.fail(unavailable(`cannot reach ${base}`, e)),
            ResponseError: (e) => Effect.fail(unavailable("unreadable answer", e))
          }),
          (get) => breakers.get(chainId)!.guard(get, { isOutage: () => true, onOpen: (open) => unavailable(open.message, open) })
        )
        const text = yield* res.text.pipe(Effect.catchAll((e) => Effect.fail(unavailable("unreadable answer", e))))
        // grpc-gateway maps NotFound to 404; some nodes answer 400/500 with "tx not found" instead.
        if (res.status === 404 || (res.status >= 400 && /not found/i.test(text))) return Option.none()
        if (res.status >= 400) return yield* Effect.fail(unavailable(`answered ${res.status}: ${text.slice(0, 200)}`))
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch (e) {
          return yield* Effect.fail(unavailable("answer is not JSON", e))
        }
        const tx = toPaymentTx(chainId, body)
        if (tx === undefined) return yield* Effect.fail(unavailable("answer is not a transaction"))
        return Option.some(tx)
      })
    })
  })

export const layer = (settings: CosmosRestSettings) => Layer.effect(PaymentVerifier, make(settings))
