import { Effect, Either, Layer, Option } from "effect"
import { ClearingNotFound, PaymentAlreadyUsed } from "../../core/clearing/errors.js"
import { type ClearingRequest, packetId } from "../../core/clearing/model.js"
import { type ClearingFilter, ClearingStore } from "../../ports/clearing-store.js"

const matches = (f: ClearingFilter) => (r: ClearingRequest): boolean =>
  (f.user_id === undefined || r.user_id === f.user_id) &&
  (f.statuses === undefined || f.statuses.includes(r.status)) &&
  (f.packet_id === undefined || r.packets.some((p) => packetId(p) === f.packet_id))

/**
 * In-process clearing store: plain maps touched only inside synchronous
 * blocks, so each operation (and the payment-hash uniqueness check with it)
 * is atomic.
 */
export const make = Effect.sync(() => {
  const requests = new Map<string, ClearingRequest>()
  const paymentOwner = new Map<string, string>()

  return ClearingStore.of({
    insert: <A, E>(
      request: ClearingRequest,
      windowStart: number,
      admit: (recent: ReadonlyArray<ClearingRequest>) => Either.Either<A, E>
    ) =>
      Effect.suspend(() => {
        const recent = Array.from(requests.values()).filter((r) =>
          r.user_id === request.user_id && r.created_at >= windowStart
        )
        const decision = admit(recent)
        if (Either.isRight(decision)) requests.set(request.token, request)
        return decision
      }).pipe(Effect.withSpan("ClearingStore.insert")),
    get: Effect.fn("ClearingStore.get")(function*(token: string) {
      return Option.fromNullable(requests.get(token))
    }),
    modify: <A, E>(token: string, decide: (current: ClearingRequest) => Either.Either<readonly [ClearingRequest, A], E>) =>
      Effect.suspend((): Either.Either<A, E | ClearingNotFound | PaymentAlreadyUsed> => {
        const current = requests.get(token)
        if (current === undefined) return Either.left(new ClearingNotFound({ token }))
        const decision = decide(current)
        if (Either.isLeft(decision)) return Either.left(decision.left)
        const [next, a] = decision.right
        const hash = next.payment?.tx_hash
        if (hash !== undefined) {
          const owner = paymentOwner.get(hash)
          if (owner !== undefined && owner !== token) return Either.left(new PaymentAlreadyUsed({ tx_hash: hash }))
          paymentOwner.set(hash, token)
        }
        requests.set(token, next)
        return Either.right(a)
      }).pipe(Effect.withSpan("ClearingStore.modify", { attributes: { token } })),
    list: Effect.fn("ClearingStore.list")(function*(filter: ClearingFilter) {
      const all = Array.from(requests.values())
        .filter(matches(filter))
        .sort((a, b) => b.created_at - a.created_at || (a.token < b.token ? -1 : 1))
      return filter.limit === undefined ? all : all.slice(0, filter.limit)
    }),
    findByPaymentTx: Effect.fn("ClearingStore.findByPaymentTx")(function*(txHash: string) {
      const token = paymentOwner.get(txHash)
      return token === undefined ? Option.none() : Option.fromNullable(requests.get(token))
    })
  })
})

export const layer = Layer.effect(ClearingStore, make)
