/**
 * BOLT11 invoices, decoded and checked with the same library every wallet in
 * the bitcoinjs family uses (`bolt11`), so what the gateway accepts is what
 * wallets produce. Pure: no clock, no I/O.
 */
import bolt11 from "bolt11"
import { Either, Option } from "effect"
import { InvalidInvoice, InvoiceAmountMismatch, InvoiceExpired, InvoiceNetworkMismatch } from "./errors.js"

export type BitcoinNetwork = "mainnet" | "testnet" | "signet" | "regtest"

/** The human-readable part after `ln` for each network (BOLT11). */
export const INVOICE_PREFIX: Readonly<Record<BitcoinNetwork, string>> = {
  mainnet: "bc",
  testnet: "tb",
  signet: "tbs",
  regtest: "bcrt"
}

/** The network description the bolt11 library wants (it knows neither signet nor our names). */
export const bolt11Network = (network: BitcoinNetwork) => ({
  bech32: INVOICE_PREFIX[network],
  pubKeyHash: network === "mainnet" ? 0x00 : 0x6f,
  scriptHash: network === "mainnet" ? 0x05 : 0xc4,
  validWitnessVersions: [0, 1]
})

/** BOLT11's default when an invoice has no expiry field. */
export const DEFAULT_EXPIRY_SECONDS = 3600

export interface DecodedInvoice {
  readonly payment_request: string
  readonly network: BitcoinNetwork
  readonly payment_hash: string
  /** Null for an invoice without an amount. */
  readonly amount_msat: bigint | null
  readonly timestamp: number
  readonly expires_at: number
  readonly description: string
  readonly payee_pubkey: string
}

/** The network an invoice's prefix names (`lnbcrt…` is regtest, not mainnet). */
export const networkOf = (paymentRequest: string): Option.Option<BitcoinNetwork> => {
  const s = paymentRequest.trim().toLowerCase()
  const hrp = s.slice(0, s.lastIndexOf("1"))
  const m = /^ln(bcrt|bc|tbs|tb)(\d+[munp]?)?$/.exec(hrp)
  if (m === null) return Option.none()
  const found = (Object.keys(INVOICE_PREFIX) as Array<BitcoinNetwork>).find((n) => INVOICE_PREFIX[n] === m[1])
  return Option.fromNullable(found)
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** Decodes and verifies the invoice's signature; any malformation is InvalidInvoice. */
export const decodeInvoice = (paymentRequest: string): Either.Either<DecodedInvoice, InvalidInvoice> => {
  const pr = paymentRequest.trim()
  const network = networkOf(pr)
  if (Option.isNone(network)) {
    return Either.left(new InvalidInvoice({ reason: "not a BOLT11 invoice for mainnet, testnet, signet or regtest" }))
  }
  return Either.flatMap(
    Either.try({ try: () => bolt11.decode(pr, bolt11Network(network.value)), catch: (e) => new InvalidInvoice({ reason: errorText(e) }) }),
    (d): Either.Either<DecodedInvoice, InvalidInvoice> => {
      const hash = d.tagsObject.payment_hash
      if (hash === undefined || !/^[0-9a-f]{64}$/.test(hash)) return Either.left(new InvalidInvoice({ reason: "the invoice has no payment hash" }))
      if (d.timestamp === undefined || d.payeeNodeKey === undefined) {
        return Either.left(new InvalidInvoice({ reason: "the invoice lacks a timestamp or a payee" }))
      }
      const expiry = d.tagsObject.expire_time ?? DEFAULT_EXPIRY_SECONDS
      return Either.right({
        payment_request: pr.toLowerCase(),
        network: network.value,
        payment_hash: hash,
        amount_msat: d.millisatoshis === null || d.millisatoshis === undefined ? null : BigInt(d.millisatoshis),
        timestamp: d.timestamp * 1000,
        expires_at: (d.timestamp + expiry) * 1000,
        description: d.tagsObject.description ?? "",
        payee_pubkey: d.payeeNodeKey
      })
    }
  )
}

export interface LandCheck {
  readonly amount_sats: bigint
  readonly network: BitcoinNetwork
  readonly now: number
}

/**
 * What a land checks before anything is reserved: the invoice is for our
 * network, asks exactly `amount_sats` (whole sats), and has not expired.
 */
export const checkLandInvoice = (
  d: DecodedInvoice,
  c: LandCheck
): Either.Either<DecodedInvoice, InvoiceNetworkMismatch | InvoiceAmountMismatch | InvoiceExpired> => {
  if (d.network !== c.network) return Either.left(new InvoiceNetworkMismatch({ expected: c.network, actual: d.network }))
  const asked = d.amount_msat
  if (asked === null || asked % 1000n !== 0n || asked / 1000n !== c.amount_sats) {
    return Either.left(
      new InvoiceAmountMismatch({
        amount_sats: Number(c.amount_sats),
        invoice_amount_msat: asked === null ? null : Number(asked)
      })
    )
  }
  if (c.now >= d.expires_at) return Either.left(new InvoiceExpired({ payment_hash: d.payment_hash, expired_at: d.expires_at }))
  return Either.right(d)
}
