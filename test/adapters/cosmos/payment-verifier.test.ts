import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { layer, transfersOf } from "../../../adapters/cosmos/payment-verifier.js"
import { PaymentVerifier } from "../../../ports/payment-verifier.js"
import { paidTx, paymentVerifierContract } from "../../contracts/payment-verifier.js"
import { json, localHttp } from "../../support/local-http.js"

/** GetTxResponse as a Cosmos SDK 0.50 LCD returns it (trimmed to what matters plus some noise). */
const lcdTx = {
  tx: {
    "@type": "/cosmos.tx.v1beta1.Tx",
    body: {
      messages: [
        { "@type": "/cosmos.bank.v1beta1.MsgSend", from_address: "osmo1payer", to_address: "osmo1service", amount: [{ denom: "uosmo", amount: "1000000" }] },
        {
          "@type": "/cosmos.authz.v1beta1.MsgExec",
          grantee: "osmo1grantee",
          msgs: [{ "@type": "/cosmos.bank.v1beta1.MsgSend", from_address: "osmo1payer", to_address: "osmo1service", amount: [{ denom: paidTx.transfers[1]!.denom, amount: "5" }] }]
        },
        { "@type": "/ibc.applications.transfer.v1.MsgTransfer", source_port: "transfer", token: { denom: "uosmo", amount: "9" } }
      ],
      memo: paidTx.memo,
      timeout_height: "0",
      extension_options: [],
      non_critical_extension_options: []
    },
    auth_info: { signer_infos: [], fee: { amount: [{ denom: "uosmo", amount: "2500" }], gas_limit: "200000" } },
    signatures: ["c2ln"]
  },
  tx_response: {
    height: String(paidTx.height),
    txhash: paidTx.tx_hash,
    codespace: "",
    code: 0,
    data: "",
    raw_log: "",
    logs: [],
    info: "",
    gas_wanted: "200000",
    gas_used: "98765",
    timestamp: "2025-07-13T00:05:00Z",
    events: []
  }
}

const fakeLcd = localHttp((req, res) => {
  const hash = req.url.split("/").at(-1)
  if (hash === paidTx.tx_hash) return json(res, 200, lcdTx)
  if (hash === "FA".repeat(32)) return json(res, 200, { ...lcdTx, tx_response: { ...lcdTx.tx_response, txhash: "FA".repeat(32), code: 5, codespace: "sdk" } })
  if (hash === "EE".repeat(32)) return json(res, 500, { code: 2, message: "codespace sdk code 2: tx parse error", details: [] })
  if (hash === "DD".repeat(32)) return json(res, 400, { code: 5, message: "tx not found: DDDD", details: [] })
  return json(res, 404, { code: 5, message: `tx not found: ${hash}`, details: [] })
})

const lcdLayer = Layer.unwrapScoped(
  Effect.map(fakeLcd, (server) =>
    layer({ endpoints: new Map([["osmosis-1", `${server.url}/`]]) }).pipe(Layer.provide(FetchHttpClient.layer)))
)

paymentVerifierContract("Cosmos REST", lcdLayer)

describe("Cosmos REST payment lookup", () => {
  it.effect("reports failed txs with their code so the machine can refuse them", () =>
    Effect.provide(
      Effect.gen(function*() {
        const tx = yield* (yield* PaymentVerifier).fetchTx("osmosis-1", "FA".repeat(32))
        expect(Option.getOrThrow(tx).code).toBe(5)
      }),
      lcdLayer
    ))

  it.effect("takes a 'tx not found' error body as not found and other server errors as unavailable", () =>
    Effect.provide(
      Effect.gen(function*() {
        const verifier = yield* PaymentVerifier
        expect(yield* verifier.fetchTx("osmosis-1", "DD".repeat(32))).toEqual(Option.none())
        const error = yield* Effect.flip(verifier.fetchTx("osmosis-1", "EE".repeat(32)))
        expect(error._tag).toBe("PaymentVerifierUnavailable")
      }),
      lcdLayer
    ))

  it("reads the outputs of a MsgMultiSend", () => {
    expect(transfersOf([{
      "@type": "/cosmos.bank.v1beta1.MsgMultiSend",
      inputs: [{ address: "osmo1payer", coins: [{ denom: "uosmo", amount: "30" }] }],
      outputs: [{ address: "osmo1service", coins: [{ denom: "uosmo", amount: "20" }] }, { address: "osmo1other", coins: [{ denom: "uosmo", amount: "10" }] }]
    }])).toEqual([
      { from: "osmo1payer", to: "osmo1service", amount: 20n, denom: "uosmo" },
      { from: "osmo1payer", to: "osmo1other", amount: 10n, denom: "uosmo" }
    ])
  })
})
