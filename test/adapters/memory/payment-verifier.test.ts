import { Effect, Layer } from "effect"
import { make } from "../../../adapters/memory/payment-verifier.js"
import { PaymentVerifier, PaymentVerifierUnavailable } from "../../../ports/payment-verifier.js"
import { paidTx, paymentVerifierContract } from "../../contracts/payment-verifier.js"

/** The ledger knows one tx; chains other than osmosis-1 are not simulated. */
const seeded = Layer.effect(
  PaymentVerifier,
  Effect.gen(function*() {
    const { ledger, verifier } = yield* make
    yield* ledger.record(paidTx)
    return PaymentVerifier.of({
      fetchTx: (chain, hash) =>
        chain === "osmosis-1"
          ? verifier.fetchTx(chain, hash)
          : Effect.fail(new PaymentVerifierUnavailable({ chain_id: chain, reason: "not simulated" }))
    })
  })
)

paymentVerifierContract("memory", seeded)
