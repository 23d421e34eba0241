import { secp256k1 } from "@noble/curves/secp256k1.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import bolt11 from "bolt11"
import { type BitcoinNetwork, bolt11Network } from "../../core/lightning/invoice.js"

const randomHex = (n: number) => bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(n)))

export interface WalletInvoiceOptions {
  readonly network?: BitcoinNetwork
  /** Whole sats; omit (with no msat) for an invoice without an amount. */
  readonly sats?: number
  readonly msat?: string
  /** Seconds since the epoch; defaults to now (the real clock). */
  readonly timestamp?: number
  readonly expirySeconds?: number
}

/** A real BOLT11 invoice from an outside wallet's node (its own random key), as a user would paste into a land. */
export const walletInvoice = (options: WalletInvoiceOptions = {}) => {
  const paymentHash = randomHex(32)
  const encoded = bolt11.encode({
    network: bolt11Network(options.network ?? "regtest"),
    ...(options.sats === undefined ? {} : { satoshis: options.sats }),
    ...(options.msat === undefined ? {} : { millisatoshis: options.msat }),
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    tags: [
      { tagName: "payment_hash", data: paymentHash },
      { tagName: "payment_secret", data: randomHex(32) },
      { tagName: "description", data: "withdraw" },
      { tagName: "expire_time", data: options.expirySeconds ?? 3600 }
    ]
  })
  const signed = bolt11.sign(encoded, bytesToHex(secp256k1.utils.randomSecretKey()))
  return { paymentRequest: signed.paymentRequest!, paymentHash }
}
