import { Either, Option } from "effect"
import * as Ceremony from "./ceremony.machine.js"
import type { SessionExpired } from "./errors.js"
import * as Machine from "./machine.js"
import type { Session, SigningEvent } from "./model.js"

export interface Applied<D, E> {
  /** The state to save: the command's, or the timed-out one when a deadline passed. */
  readonly session: Session
  readonly events: ReadonlyArray<SigningEvent>
  readonly result: Either.Either<D, E | SessionExpired>
}

/**
 * Time wins over commands. A session past its deadline becomes `expired` and
 * the command is answered SessionExpired; a ceremony past a deadline fails
 * first and the command then sees the failed ceremony. Otherwise the command
 * decides. `session` is what must be saved in every case.
 */
export const applyWithDeadlines = <D extends Machine.Decision, E>(
  s: Session,
  now: number,
  decide: (s: Session, now: number) => Either.Either<D, E>
): Either.Either<Applied<D, E>, E> => {
  const expired = Machine.expireIfDue(s, now)
  if (Option.isSome(expired)) {
    return Either.right({ ...expired.value, result: Either.left(Machine.expiredError(s)) })
  }
  const timedOut = Ceremony.timeoutIfDue(s, now)
  if (Option.isSome(timedOut)) {
    return Either.right({ ...timedOut.value, result: decide(timedOut.value.session, now) })
  }
  return Either.map(decide(s, now), (d) => ({ session: d.session, events: d.events, result: Either.right(d) }))
}
