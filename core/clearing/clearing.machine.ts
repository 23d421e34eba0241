import { Either, Option } from "effect"
import {
  ClearingRateLimited,
  InvalidClearingRequest,
  InvalidClearingState,
  PaymentRejected,
  QuoteExpired
} from "./errors.js"
import {
  type ClearingEvent,
  type ClearingExecutor,
  type ClearingRequest,
  type ClearingStatus,
  type Coin,
  type FeeQuote,
  type PacketKey,
  packetId,
  type PaymentTx
} from "./model.js"

/*
 * Clearing requests: requested → awaiting_payment → paid → clearing →
 * cleared | failed | refunded. Every command is idempotent on the token:
 * repeating one that already took effect returns the request unchanged and
 * no events. A request is `cleared` only by observed recv/ack events, never
 * by the relayer's report.
 */

export interface Decision {
  readonly request: ClearingRequest
  readonly events: ReadonlyArray<ClearingEvent>
}

/** Every transition the machine can make; anything else is a bug. */
export const ALLOWED_TRANSITIONS: ReadonlyMap<ClearingStatus, ReadonlySet<ClearingStatus>> = new Map([
  ["requested", new Set<ClearingStatus>(["awaiting_payment", "failed"])],
  ["awaiting_payment", new Set<ClearingStatus>(["paid", "failed"])],
  ["paid", new Set<ClearingStatus>(["clearing", "failed"])],
  ["clearing", new Set<ClearingStatus>(["cleared", "failed"])],
  ["failed", new Set<ClearingStatus>(["refunded"])],
  ["cleared", new Set<ClearingStatus>()],
  ["refunded", new Set<ClearingStatus>()]
])

export const MAX_PACKETS_PER_REQUEST = 100

const unchanged = (request: ClearingRequest): Decision => ({ request, events: [] })

const moveTo = (
  r: ClearingRequest,
  to: ClearingStatus,
  now: number,
  patch: Partial<ClearingRequest> = {},
  extra: ReadonlyArray<ClearingEvent> = []
): Decision => ({
  request: { ...r, ...patch, status: to, updated_at: now },
  events: [...extra, { _tag: "ClearingStatusChanged", token: r.token, from: r.status, to }]
})

const invalid = (r: ClearingRequest, action: string) =>
  new InvalidClearingState({ token: r.token, status: r.status, action })

export interface Admission {
  readonly limit: number
  /** Requests the user may still make in the window after this one. */
  readonly remaining: number
  /** When the oldest request in the window leaves it, epoch ms. */
  readonly resetAt: number
}

/**
 * 10 requests per rolling hour per user. `recent` are the user's requests
 * created inside the window; the store passes them under its lock.
 */
export const admit = (
  recent: ReadonlyArray<ClearingRequest>,
  userId: string,
  now: number,
  limit: number,
  windowMs: number
): Either.Either<Admission, ClearingRateLimited> => {
  const inWindow = recent.filter((r) => r.user_id === userId && r.created_at > now - windowMs)
  const oldest = inWindow.length === 0 ? now : Math.min(...inWindow.map((r) => r.created_at))
  if (inWindow.length < limit) {
    return Either.right({ limit, remaining: limit - inWindow.length - 1, resetAt: oldest + windowMs })
  }
  return Either.left(
    new ClearingRateLimited({
      user_id: userId,
      limit,
      retry_after_seconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000))
    })
  )
}

/** Validates the packet list: 1..100 distinct packets, all sent from one chain (the one that is paid). */
export const validatePackets = (
  packets: ReadonlyArray<PacketKey>
): Either.Either<{ readonly chain_id: string; readonly packets: ReadonlyArray<PacketKey> }, InvalidClearingRequest> => {
  if (packets.length === 0) return Either.left(new InvalidClearingRequest({ reason: "at least one packet is required" }))
  if (packets.length > MAX_PACKETS_PER_REQUEST) {
    return Either.left(new InvalidClearingRequest({ reason: `at most ${MAX_PACKETS_PER_REQUEST} packets per request` }))
  }
  const chains = new Set(packets.map((p) => p.chain_id))
  if (chains.size !== 1) {
    return Either.left(new InvalidClearingRequest({ reason: "all packets must be sent from the same chain" }))
  }
  const unique = Array.from(new Map(packets.map((p) => [packetId(p), p])).values())
  return Either.right({ chain_id: packets[0]!.chain_id, packets: unique })
}

export const newRequest = (input: {
  readonly token: string
  readonly user_id: string
  readonly wallet_address: string | null
  readonly chain_id: string
  readonly packets: ReadonlyArray<PacketKey>
  readonly now: number
}): ClearingRequest => ({
  token: input.token,
  user_id: input.user_id,
  wallet_address: input.wallet_address,
  chain_id: input.chain_id,
  packets: input.packets,
  status: "requested",
  quote: null,
  payment: null,
  attempt: null,
  delivered: [],
  delivery_tx_hashes: [],
  created_at: input.now,
  updated_at: input.now,
  failure_reason: null,
  refund_tx_hash: null
})

/** The fee: the configured price per packet times the number of packets. */
export const quoteFor = (
  r: ClearingRequest,
  opts: { readonly perPacket: Coin; readonly payTo: string; readonly now: number; readonly ttlMs: number }
): FeeQuote => ({
  chain_id: r.chain_id,
  amount: opts.perPacket.amount * BigInt(r.packets.length),
  denom: opts.perPacket.denom,
  per_packet: opts.perPacket.amount,
  pay_to: opts.payTo,
  memo: r.token,
  expires_at: opts.now + opts.ttlMs
})

export const issueQuote = (r: ClearingRequest, quote: FeeQuote, now: number): Either.Either<Decision, InvalidClearingState> => {
  if (r.status === "awaiting_payment" && r.quote !== null) return Either.right(unchanged(r))
  if (r.status !== "requested") return Either.left(invalid(r, "quote a fee"))
  return Either.right(moveTo(r, "awaiting_payment", now, { quote }))
}

/** Sum paid to `to` in `denom` by the tx's transfers. */
export const amountPaid = (tx: PaymentTx, to: string, denom: string): bigint =>
  tx.transfers.reduce((sum, t) => (t.to === to && t.denom === denom ? sum + t.amount : sum), 0n)

/**
 * Accepts a payment once. The tx must have succeeded, be on the quoted chain,
 * carry the token in its memo, pay at least the quote to the service address,
 * and be included before the quote expired. Submitting the accepted tx again
 * is a no-op; any other tx after payment is refused.
 */
export const acceptPayment = (
  r: ClearingRequest,
  tx: PaymentTx,
  now: number
): Either.Either<Decision, InvalidClearingState | PaymentRejected | QuoteExpired> => {
  if (r.payment !== null) {
    return r.payment.tx_hash === tx.tx_hash ? Either.right(unchanged(r)) : Either.left(invalid(r, "accept another payment"))
  }
  if (r.status !== "awaiting_payment" || r.quote === null) return Either.left(invalid(r, "accept a payment"))
  const q = r.quote
  const reject = (reason: string) => Either.left(new PaymentRejected({ token: r.token, tx_hash: tx.tx_hash, reason }))
  if (tx.chain_id !== q.chain_id) return reject(`payment must be made on ${q.chain_id}`)
  if (tx.code !== 0) return reject(`transaction failed on chain (code ${tx.code})`)
  if (!tx.memo.includes(q.memo)) return reject("memo does not contain the clearing token")
  const paid = amountPaid(tx, q.pay_to, q.denom)
  if (paid < q.amount) return reject(`paid ${paid}${q.denom} to ${q.pay_to}, quote is ${q.amount}${q.denom}`)
  if ((tx.time ?? now) > q.expires_at) return Either.left(new QuoteExpired({ token: r.token }))
  return Either.right(
    moveTo(
      r,
      "paid",
      now,
      { payment: { tx_hash: tx.tx_hash, amount: paid, denom: q.denom, height: tx.height, verified_at: now } },
      [{ _tag: "PaymentAccepted", token: r.token, tx_hash: tx.tx_hash, amount: paid }]
    )
  )
}

const allDelivered = (r: ClearingRequest): boolean => r.packets.every((p) => r.delivered.includes(packetId(p)))

/**
 * Hands the paid request to the relayer. If every packet was already seen
 * delivered, it is cleared at once and the relayer need not run.
 */
export const startClearing = (
  r: ClearingRequest,
  opts: { readonly executor: ClearingExecutor; readonly now: number; readonly deadlineMs: number }
): Either.Either<Decision, InvalidClearingState> => {
  if (r.status === "clearing" || r.status === "cleared") return Either.right(unchanged(r))
  if (r.status !== "paid") return Either.left(invalid(r, "start clearing"))
  const started = moveTo(r, "clearing", opts.now, {
    attempt: {
      executor: opts.executor,
      scope: null,
      started_at: opts.now,
      deadline_at: opts.now + opts.deadlineMs,
      relayer_tx_hashes: [],
      reported_at: null
    }
  })
  if (!allDelivered(started.request)) return Either.right(started)
  const done = moveTo(started.request, "cleared", opts.now)
  return Either.right({ request: done.request, events: [...started.events, ...done.events] })
}

/** What the relayer says it did. Recorded, but it does not clear the request. */
export const recordRelayerReport = (
  r: ClearingRequest,
  report: { readonly scope: "chain" | "sequences"; readonly tx_hashes: ReadonlyArray<string> },
  now: number
): Either.Either<Decision, InvalidClearingState> => {
  if (r.status !== "clearing" || r.attempt === null) {
    return r.status === "cleared" ? Either.right(unchanged(r)) : Either.left(invalid(r, "record the relayer's report"))
  }
  const hashes = Array.from(new Set([...r.attempt.relayer_tx_hashes, ...report.tx_hashes]))
  return Either.right({
    request: { ...r, attempt: { ...r.attempt, scope: report.scope, relayer_tx_hashes: hashes, reported_at: now }, updated_at: now },
    events: [{ _tag: "RelayerReported", token: r.token, tx_hashes: report.tx_hashes }]
  })
}

/**
 * A recv or ack event for one of the request's packets was seen on chain.
 * Counted while paid or clearing; the last missing packet clears the request.
 * Observations in any other state change nothing.
 */
export const observeDelivery = (r: ClearingRequest, id: string, txHash: string, now: number): Decision => {
  if ((r.status !== "paid" && r.status !== "clearing") || r.delivered.includes(id)) return unchanged(r)
  if (!r.packets.some((p) => packetId(p) === id)) return unchanged(r)
  const recorded: ClearingRequest = {
    ...r,
    delivered: [...r.delivered, id],
    delivery_tx_hashes: [...r.delivery_tx_hashes, txHash],
    updated_at: now
  }
  const event: ClearingEvent = { _tag: "PacketDelivered", token: r.token, packet_id: id, tx_hash: txHash }
  if (r.status === "clearing" && allDelivered(recorded)) return moveTo(recorded, "cleared", now, {}, [event])
  return { request: recorded, events: [event] }
}

/** The relayer failed, or a packet timed out before delivery. */
export const failClearing = (r: ClearingRequest, reason: string, now: number): Either.Either<Decision, InvalidClearingState> => {
  if (r.status === "failed" || r.status === "refunded") return Either.right(unchanged(r))
  if (r.status === "cleared") return Either.left(invalid(r, "fail"))
  return Either.right(moveTo(r, "failed", now, { failure_reason: reason }))
}

/** Quotes expire unpaid; clearings without delivery by their deadline fail. */
export const expireIfDue = (r: ClearingRequest, now: number): Option.Option<Decision> => {
  if ((r.status === "requested" || r.status === "awaiting_payment") && r.quote !== null && now > r.quote.expires_at) {
    return Option.some(moveTo(r, "failed", now, { failure_reason: "the fee quote expired unpaid" }))
  }
  if (r.status === "clearing" && r.attempt !== null && now > r.attempt.deadline_at) {
    return Option.some(moveTo(r, "failed", now, { failure_reason: "no delivery was seen on chain before the deadline" }))
  }
  return Option.none()
}

/** An operator returned the fee of a failed clearing. */
export const markRefunded = (r: ClearingRequest, refundTxHash: string, now: number): Either.Either<Decision, InvalidClearingState> => {
  if (r.status === "refunded") {
    return r.refund_tx_hash === refundTxHash ? Either.right(unchanged(r)) : Either.left(invalid(r, "refund again"))
  }
  if (r.status !== "failed" || r.payment === null) return Either.left(invalid(r, "refund"))
  return Either.right(moveTo(r, "refunded", now, { refund_tx_hash: refundTxHash }))
}
