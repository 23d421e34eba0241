import { Context, type Effect } from "effect"

/**
 * One runner per background job across replicas. `lead` waits until this
 * replica holds the named lock, runs the job while it does, and keeps the
 * lock alive; a replica that stops or dies lets the lock go (released, or
 * expired when it cannot say so), and another replica's `lead` takes over. If
 * the lock is lost while the job runs (the lock store could not be reached
 * in time), the job is interrupted and `lead` competes again.
 *
 * Jobs are long-running loops (a sweep on a schedule); one that ends or fails
 * gives the lock back and is run again by whoever takes it next.
 */
export class LeaderLock extends Context.Tag("relaygate/LeaderLock")<
  LeaderLock,
  {
    readonly lead: <E, R>(name: string, job: Effect.Effect<void, E, R>) => Effect.Effect<never, never, R>
  }
>() {}
