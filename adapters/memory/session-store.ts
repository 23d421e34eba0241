import { Effect, Either, Layer, Option } from "effect"
import { hotFn } from "../../core/shared/hot-fn.js"
import { SessionNotFound } from "../../core/signing/errors.js"
import { type Session, SESSION_STATUSES, type SessionStatus } from "../../core/signing/model.js"
import { type SessionFilter, SessionStore } from "../../ports/session-store.js"

const matches = (f: SessionFilter) => (s: Session) =>
  (f.user_pubkey === undefined || s.user_pubkey === f.user_pubkey) && (f.status === undefined || s.status === f.status)

export const make = Effect.gen(function*() {
  // Every step below reads and writes the map synchronously, so each is atomic on the one thread
  // without a Ref (whose persistent map hashed the id and copied a path of nodes on every write).
  const sessions = new Map<string, Session>()

  return SessionStore.of({
    insert: Effect.fn("SessionStore.insert")(function*(session: Session) {
      sessions.set(session.session_id, session)
    }),
    // get and modify run on every respond request (bench row 3).
    get: hotFn("SessionStore.get")(function*(sessionId: string) {
      return Option.fromNullable(sessions.get(sessionId))
    }),
    // Read, decide and write in one synchronous step: that is what makes a challenge single-use. The
    // step starts no effect, so its span need not become the parent of any (useSpan: no context swap).
    modify: <A, E>(sessionId: string, decide: (current: Session) => Either.Either<readonly [Session, A], E>) =>
      Effect.useSpan("SessionStore.modify", { attributes: { sessionId }, captureStackTrace: false }, (): Effect.Effect<A, E | SessionNotFound> => {
        const current = sessions.get(sessionId)
        if (current === undefined) return Effect.fail(new SessionNotFound({ session_id: sessionId }))
        const decided = decide(current)
        if (Either.isLeft(decided)) return Effect.fail(decided.left)
        sessions.set(sessionId, decided.right[0])
        return Effect.succeed(decided.right[1])
      }),
    list: Effect.fn("SessionStore.list")(function*(filter: SessionFilter) {
      const all = Array.from(sessions.values())
        .filter(matches(filter))
        .sort((a, b) => b.created_at - a.created_at || (a.session_id < b.session_id ? -1 : 1))
      return filter.limit === undefined ? all : all.slice(0, filter.limit)
    }),
    listSweepable: Effect.fn("SessionStore.listSweepable")(function*(now: number) {
      return Array.from(sessions.values()).filter((s) =>
        s.status === "signing" ||
        (s.status !== "completed" && s.status !== "failed" && s.status !== "expired" && now >= s.expires_at)
      )
    }),
    countByStatus: Effect.fn("SessionStore.countByStatus")(function*() {
      const counts = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>
      for (const s of sessions.values()) counts[s.status]++
      return counts
    })
  })
})

export const layer = Layer.effect(SessionStore, make)
