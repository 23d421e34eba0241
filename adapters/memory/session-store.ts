import { Effect, Either, HashMap, Layer, Option, Ref } from "effect"
import { SessionNotFound } from "../../core/signing/errors.js"
import { type Session, SESSION_STATUSES, type SessionStatus } from "../../core/signing/model.js"
import { type SessionFilter, SessionStore } from "../../ports/session-store.js"

const matches = (f: SessionFilter) => (s: Session) =>
  (f.user_pubkey === undefined || s.user_pubkey === f.user_pubkey) && (f.status === undefined || s.status === f.status)

export const make = Effect.gen(function*() {
  const ref = yield* Ref.make(HashMap.empty<string, Session>())

  return SessionStore.of({
    insert: Effect.fn("SessionStore.insert")(function*(session: Session) {
      yield* Ref.update(ref, HashMap.set(session.session_id, session))
    }),
    get: Effect.fn("SessionStore.get")(function*(sessionId: string) {
      return HashMap.get(yield* Ref.get(ref), sessionId)
    }),
    // Ref.modify runs the pure decision under the ref's lock: read, decide and
    // write are one step, which is what makes a challenge single-use.
    modify: <A, E>(sessionId: string, decide: (current: Session) => Either.Either<readonly [Session, A], E>) =>
      Ref.modify(ref, (map): readonly [Either.Either<A, E | SessionNotFound>, HashMap.HashMap<string, Session>] =>
        Option.match(HashMap.get(map, sessionId), {
          onNone: () => [Either.left(new SessionNotFound({ session_id: sessionId })), map],
          onSome: (current) =>
            Either.match(decide(current), {
              onLeft: (e) => [Either.left(e), map],
              onRight: ([next, a]) => [Either.right(a), HashMap.set(map, sessionId, next)]
            })
        })
      ).pipe(Effect.flatten, Effect.withSpan("SessionStore.modify", { attributes: { sessionId } })),
    list: Effect.fn("SessionStore.list")(function*(filter: SessionFilter) {
      const all = Array.from(HashMap.values(yield* Ref.get(ref)))
        .filter(matches(filter))
        .sort((a, b) => b.created_at - a.created_at || (a.session_id < b.session_id ? -1 : 1))
      return filter.limit === undefined ? all : all.slice(0, filter.limit)
    }),
    listSweepable: Effect.fn("SessionStore.listSweepable")(function*(now: number) {
      return Array.from(HashMap.values(yield* Ref.get(ref))).filter((s) =>
        s.status === "signing" ||
        (s.status !== "completed" && s.status !== "failed" && s.status !== "expired" && now >= s.expires_at)
      )
    }),
    countByStatus: Effect.fn("SessionStore.countByStatus")(function*() {
      const counts = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>
      for (const s of HashMap.values(yield* Ref.get(ref))) counts[s.status]++
      return counts
    })
  })
})

export const layer = Layer.effect(SessionStore, make)
