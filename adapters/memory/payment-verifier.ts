import { Context, Effect, Layer, Option } from "effect"
import type { PaymentTx } from "../../core/clearing/model.js"
import { PaymentVerifier } from "../../ports/payment-verifier.js"

/** Test and demo control: transactions the simulated chains have committed. */
export class PaymentLedger extends Context.Tag("relaygate/memory/PaymentLedger")<
  PaymentLedger,
  { readonly record: (tx: PaymentTx) => Effect.Effect<void> }
>() {}

const key = (chainId: string, hash: string) => `${chainId}:${hash.toUpperCase()}`

export const make = Effect.sync(() => {
  const txs = new Map<string, PaymentTx>()
  return {
    verifier: PaymentVerifier.of({
      fetchTx: Effect.fn("PaymentVerifier.fetchTx")(function*(chainId: string, txHash: string) {
        return Option.fromNullable(txs.get(key(chainId, txHash)))
      })
    }),
    ledger: PaymentLedger.of({
      record: (tx) => Effect.sync(() => void txs.set(key(tx.chain_id, tx.tx_hash), tx))
    })
  }
})

export const layer: Layer.Layer<PaymentVerifier | PaymentLedger> = Layer.effectContext(
  Effect.map(make, ({ ledger, verifier }) => Context.make(PaymentVerifier, verifier).pipe(Context.add(PaymentLedger, ledger)))
)
