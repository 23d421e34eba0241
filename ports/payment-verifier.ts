import { Context, Data, type Effect, type Option } from "effect"
import type { PaymentTx } from "../core/clearing/model.js"

/** The chain's REST endpoint is not configured, not answering, or answered garbage. */
export class PaymentVerifierUnavailable extends Data.TaggedError("PaymentVerifierUnavailable")<{
  readonly chain_id: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `cannot look up payments on ${this.chain_id}: ${this.reason}`
  }
}

/**
 * Looks up a committed transaction on the paying chain. Deciding whether it
 * pays a clearing is the clearing machine's job; this only reports the tx.
 */
export class PaymentVerifier extends Context.Tag("relaygate/PaymentVerifier")<
  PaymentVerifier,
  {
    /** None when the chain does not know the hash (not committed yet, or never). */
    readonly fetchTx: (chainId: string, txHash: string) => Effect.Effect<Option.Option<PaymentTx>, PaymentVerifierUnavailable>
  }
>() {}
