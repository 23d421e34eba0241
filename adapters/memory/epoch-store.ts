import { Effect, Either, HashMap, Layer, Option, Ref } from "effect"
import type { Epoch, MinerStatusRecord } from "../../core/epochs/model.js"
import { type EpochListFilter, EpochStore } from "../../ports/epoch-store.js"
import { hotFn } from "../../core/shared/hot-fn.js"

interface State {
  readonly epochs: HashMap.HashMap<string, Epoch>
  /** Keyed by `${hotkey}|${epochId}` (neither contains "|"). */
  readonly statuses: HashMap.HashMap<string, MinerStatusRecord>
}

const statusKey = (hotkey: string, epochId: string) => `${hotkey}|${epochId}`

const inFilter = (f: EpochListFilter) => (e: Epoch) =>
  (f.startAfter === undefined || e.start > f.startAfter) && (f.startBefore === undefined || e.start < f.startBefore)

export const make = Effect.gen(function*() {
  const ref = yield* Ref.make<State>({ epochs: HashMap.empty(), statuses: HashMap.empty() })

  return EpochStore.of({
    // Ref.modify is one atomic step: the first claim of an id wins, later ones read it back.
    claim: Effect.fn("EpochStore.claim")(function*(epoch: Epoch) {
      return yield* Ref.modify(ref, (s): readonly [{ readonly epoch: Epoch; readonly created: boolean }, State] =>
        Option.match(HashMap.get(s.epochs, epoch.id), {
          onSome: (stored) => [{ epoch: stored, created: false }, s],
          onNone: () => [{ epoch, created: true }, { ...s, epochs: HashMap.set(s.epochs, epoch.id, epoch) }]
        }))
    }),
    // Every current-assignment request reads its epoch here (bench row 4): a span only when tracing is on (hotFn).
    get: hotFn("EpochStore.get")(function*(epochId: string) {
      return HashMap.get((yield* Ref.get(ref)).epochs, epochId)
    }),
    list: Effect.fn("EpochStore.list")(function*(filter: EpochListFilter) {
      const all = Array.from(HashMap.values((yield* Ref.get(ref)).epochs))
        .filter(inFilter(filter))
        .sort((a, b) => b.start - a.start)
      return filter.limit === undefined ? all : all.slice(0, filter.limit)
    }),
    updateMinerStatus: <E>(
      hotkey: string,
      epochId: string,
      decide: (current: Option.Option<MinerStatusRecord>) => Either.Either<MinerStatusRecord, E>
    ) =>
      Ref.modify(ref, (s): readonly [Either.Either<MinerStatusRecord, E>, State] => {
        const key = statusKey(hotkey, epochId)
        const decision = decide(HashMap.get(s.statuses, key))
        return Either.isLeft(decision)
          ? [decision, s]
          : [decision, { ...s, statuses: HashMap.set(s.statuses, key, decision.right) }]
      }).pipe(Effect.flatten, Effect.withSpan("EpochStore.updateMinerStatus", { attributes: { hotkey, epochId } })),
    minerStatuses: Effect.fn("EpochStore.minerStatuses")(function*(epochId: string) {
      return Array.from(HashMap.values((yield* Ref.get(ref)).statuses))
        .filter((r) => r.epochId === epochId)
        .sort((a, b) => (a.hotkey < b.hotkey ? -1 : a.hotkey > b.hotkey ? 1 : 0))
    })
  })
})

export const layer = Layer.effect(EpochStore, make)
