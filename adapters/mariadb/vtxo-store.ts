import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Either, Layer, Option, Queue } from "effect"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { VtxoNotFound } from "../../core/vtxo/errors.js"
import * as Machine from "../../core/vtxo/machine.js"
import { Settlement, type StatusCount, Vtxo, VtxoBatch, type VtxoStatus } from "../../core/vtxo/model.js"
import { type AssignRequest, type VtxoFilter, VtxoStore } from "../../ports/vtxo-store.js"
import { chunksOf, jsonColumn, storeOps, toBigInt, toNumber } from "./sql.js"

const vtxoBody = jsonColumn(Vtxo)
const batchBody = jsonColumn(VtxoBatch)
const settlementBody = jsonColumn(Settlement)

const columns = (v: Vtxo) => ({
  asset_id: v.asset_id,
  status: v.status,
  amount_sats: v.amount_sats,
  created_at: v.created_at,
  expires_at: v.expires_at,
  user_pubkey: v.user_pubkey,
  assignment_ref: v.assignment_ref,
  settlement_id: v.settlement_id,
  body: vtxoBody.encode(v)
})

/** Requests taken from the queue at once. */
const MAX_BATCH = 32
/** Transactions a request that found no VTXO while one may be coming free gets, in all. */
const MAX_TRIES = 4

interface Waiting {
  readonly request: AssignRequest
  readonly done: Deferred.Deferred<Option.Option<Vtxo>, StoreUnavailable>
  /**
   * Its caller was interrupted before a transaction took it, so it is not
   * assigned a VTXO nobody would learn of (taken already, it is, as when a
   * caller goes away after COMMIT).
   */
  gone: boolean
  tries: number
}

/**
 * The VTXO inventory in MariaDB. Assignment takes the smallest eligible rows
 * with `SELECT … FOR UPDATE SKIP LOCKED` (the machine's order: amount, age,
 * id): concurrent transactions, on any replica, each lock different rows
 * instead of queueing on the same ones, and a row is assigned at most once
 * because only its lock holder can change it. So "smallest at least amount"
 * means smallest among the rows no other transaction is assigning right now,
 * which is all a concurrent request can ask for.
 *
 * Concurrent requests in one process for the same asset and amount share a
 * transaction; other requests waiting at the same time get transactions of
 * their own, run side by side, and a lone request goes at once. One
 * process's throughput is bounded by its own CPU per transaction (the Effect
 * runtime, the driver and a socket write per round trip cost it several
 * times what the statements cost MariaDB), not by the server, and a shared
 * transaction pays that and the log flush once. Only equal requests share:
 * every row such a transaction locks is one it assigns, so it never makes
 * another transaction skip a row that it then leaves available.
 *
 * While another transaction is assigning rows, MariaDB 10.11's SKIP LOCKED
 * can come back short of rows nobody has locked (measured: with two
 * transactions of 32 in flight, the second often got none of the 68 rows
 * left). So the transactions of one process run one take of the queue at a
 * time, and a request left without a VTXO while some are still available
 * is queued again (MAX_TRIES in all): by then the transactions that were in
 * its way in this process are over, and another replica's most likely too.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "VtxoStore")
  const decodeAll = (rows: ReadonlyArray<{ readonly body: unknown }>) => Effect.forEach(rows, (r) => vtxoBody.decode(r.body))
  const update = (v: Vtxo) => sql`UPDATE vtxos SET ${sql.update(columns(v))} WHERE vtxo_id = ${v.vtxo_id}`

  /**
   * Requests for the same asset and amount, in order: the n-th gets the n-th
   * smallest row. The expiry bound is the latest request's `now`: a VTXO that
   * expires within the batch's few milliseconds is not handed out. Also says
   * whether a request left without one should try again: some VTXO it could
   * take was still available after the commit.
   */
  const assignAlike = (requests: ReadonlyArray<AssignRequest>) => {
    const first = requests[0]!
    const now = Math.max(...requests.map((r) => r.now))
    const eligible = sql`asset_id = ${first.asset_id} AND status = 'available' AND amount_sats >= ${first.amount} AND expires_at > ${now}`
    return ops.twoTrips(
      "assignSmallestAtLeast",
      sql<{ body: unknown }>`SELECT body FROM vtxos WHERE ${eligible}
        ORDER BY amount_sats, created_at, vtxo_id
        LIMIT ${requests.length} FOR UPDATE SKIP LOCKED`,
      (rows) =>
        Effect.map(decodeAll(rows), (locked) => {
          const answers = requests.map((r, i) =>
            i < locked.length ? Option.some(Machine.assign(locked[i]!, { user_pubkey: r.user_pubkey, ref: r.ref }, r.now)) : Option.none<Vtxo>()
          )
          return [answers.flatMap((a) => (Option.isSome(a) ? [update(a.value)] : [])), answers] as const
        })
    ).pipe(
      Effect.flatMap((answers) =>
        answers.every(Option.isSome)
          ? Effect.succeed({ answers, tryAgain: false })
          : sql`SELECT 1 FROM vtxos WHERE ${eligible} LIMIT 1`.pipe(
            Effect.map((left) => ({ answers, tryAgain: left.length > 0 })),
            ops.run("assignSmallestAtLeast")
          )
      )
    )
  }

  const queue = yield* Queue.unbounded<Waiting>()
  // Callers still waiting when the store closes are interrupted rather than left hanging.
  yield* Effect.addFinalizer(() =>
    Queue.takeAll(queue).pipe(
      Effect.flatMap((left) => Effect.forEach(left, (w) => Deferred.interrupt(w.done), { discard: true })),
      Effect.zipRight(Queue.shutdown(queue))
    )
  )
  const serve = Queue.takeBetween(queue, 1, MAX_BATCH).pipe(
    Effect.flatMap((taken) => {
      const alike = new Map<string, Array<Waiting>>()
      for (const w of taken) {
        if (w.gone) continue
        // The amount has no space in it, so the last space ends the asset id.
        const key = `${w.request.asset_id} ${w.request.amount}`
        const group = alike.get(key)
        if (group === undefined) alike.set(key, [w])
        else group.push(w)
      }
      return Effect.forEach(
        alike.values(),
        (group) =>
          assignAlike(group.map((w) => w.request)).pipe(
            // The store is closing: its callers are interrupted too, rather than left hanging.
            Effect.onInterrupt(() => Effect.forEach(group, (w) => Deferred.interrupt(w.done), { discard: true })),
            Effect.matchCauseEffect({
              onFailure: (cause) => Effect.forEach(group, (w) => Deferred.failCause(w.done, cause), { discard: true }),
              onSuccess: ({ answers, tryAgain }) =>
                Effect.forEach(group, (w, i) => {
                  const answer = answers[i]!
                  if (Option.isNone(answer) && tryAgain && ++w.tries < MAX_TRIES) return Queue.offer(queue, w)
                  return Deferred.succeed(w.done, answer)
                }, { discard: true })
            })
          ),
        { concurrency: "unbounded", discard: true }
      )
    }),
    Effect.forever
  )
  yield* Effect.forkScoped(serve)

  return VtxoStore.of({
    insertBatch: (batch, items) =>
      ops.transaction(
        "insertBatch",
        Effect.gen(function*() {
          yield* sql`INSERT INTO vtxo_batches ${
            sql.insert({ batch_id: batch.batch_id, asset_id: batch.asset_id, body: batchBody.encode(batch) })
          }`
          for (const chunk of chunksOf(items, 200)) {
            yield* sql`INSERT INTO vtxos ${sql.insert(chunk.map((v) => ({ vtxo_id: v.vtxo_id, ...columns(v) })))}`
          }
        }).pipe(ops.run("insertBatch"))
      ),

    get: (vtxoId) =>
      sql<{ body: unknown }>`SELECT body FROM vtxos WHERE vtxo_id = ${vtxoId}`.pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(vtxoBody.decode(rows[0]!.body))),
        ops.run("get")
      ),

    assignSmallestAtLeast: (request) =>
      Effect.flatMap(Deferred.make<Option.Option<Vtxo>, StoreUnavailable>(), (done) => {
        const waiting: Waiting = { request, done, gone: false, tries: 0 }
        return Queue.offer(queue, waiting).pipe(
          Effect.zipRight(Deferred.await(done)),
          Effect.onInterrupt(() => Effect.sync(() => void (waiting.gone = true)))
        )
      }).pipe(Effect.withSpan("VtxoStore.assignSmallestAtLeast")),

    modify: <A, E>(vtxoId: string, decide: (current: Vtxo) => Either.Either<readonly [Vtxo, A], E>) =>
      ops.transaction(
        "modify",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos WHERE vtxo_id = ${vtxoId} FOR UPDATE`.pipe(ops.run("modify"))
          if (rows.length === 0) return yield* new VtxoNotFound({ vtxo_id: vtxoId })
          const current = yield* vtxoBody.decode(rows[0]!.body).pipe(ops.run("modify"))
          const [next, a] = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
          yield* update(next).pipe(ops.run("modify"))
          return a
        })
      ),

    list: (filter: VtxoFilter) =>
      sql<{ body: unknown }>`SELECT body FROM vtxos WHERE ${
        sql.and([
          ...(filter.user_pubkey === undefined ? [] : [sql`user_pubkey = ${filter.user_pubkey}`]),
          ...(filter.asset_id === undefined ? [] : [sql`asset_id = ${filter.asset_id}`]),
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`]),
          ...(filter.assignment_ref === undefined ? [] : [sql`assignment_ref = ${filter.assignment_ref}`]),
          ...(filter.unsettled === undefined
            ? []
            : [filter.unsettled
              ? sql`(status = 'spent' AND settlement_id IS NULL)`
              : sql`NOT (status = 'spent' AND settlement_id IS NULL)`])
        ])
      } ORDER BY created_at DESC, seq ASC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap(decodeAll),
        ops.run("list")
      ),

    countByStatus: () =>
      sql<{ asset_id: string; status: VtxoStatus; n: unknown; sats: unknown }>`
        SELECT asset_id, status, COUNT(*) AS n, SUM(amount_sats) AS sats FROM vtxos GROUP BY asset_id, status`.pipe(
        Effect.map((rows) =>
          rows.map((r): StatusCount => ({ asset_id: r.asset_id, status: r.status, count: toNumber(r.n), amount_sats: toBigInt(r.sats) }))
        ),
        ops.run("countByStatus")
      ),

    expireDue: (now) =>
      ops.transaction(
        "expireDue",
        Effect.gen(function*() {
          // SKIP LOCKED: a VTXO being assigned or spent right now is left to its
          // holder; the next sweep sees it if it is still due.
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos
            WHERE status IN ('available', 'assigned') AND expires_at <= ${now} FOR UPDATE SKIP LOCKED`
          const expired: Array<Vtxo> = []
          for (const v of yield* decodeAll(rows)) {
            const next = Machine.expireIfDue(v, now)
            if (Option.isSome(next)) {
              yield* update(next.value)
              expired.push(next.value)
            }
          }
          return expired
        }).pipe(ops.run("expireDue"))
      ),

    listBatches: (filter) =>
      sql<{ body: unknown }>`SELECT body FROM vtxo_batches WHERE ${
        sql.and(filter.asset_id === undefined ? [] : [sql`asset_id = ${filter.asset_id}`])
      } ORDER BY seq DESC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => batchBody.decode(r.body))),
        ops.run("listBatches")
      ),

    recordSettlement: (settlement) =>
      ops.transaction(
        "recordSettlement",
        Effect.gen(function*() {
          const stamped = new Set<string>()
          let total = 0n
          // Locked in id order, so two runners stamping overlapping sets cannot deadlock.
          for (const chunk of chunksOf(Array.from(new Set(settlement.vtxo_ids)).sort(), 500)) {
            const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos
              WHERE ${sql.in("vtxo_id", chunk)} AND status = 'spent' AND settlement_id IS NULL ORDER BY vtxo_id FOR UPDATE`
            for (const v of yield* decodeAll(rows)) {
              yield* update({ ...v, settlement_id: settlement.settlement_id })
              total += v.amount_sats
              stamped.add(v.vtxo_id)
            }
          }
          // Reported in the settlement's own order of ids.
          const order = settlement.vtxo_ids.filter((id) => stamped.delete(id))
          if (order.length > 0) {
            const recorded: Settlement = { ...settlement, vtxo_ids: order, total_amount_sats: total }
            yield* sql`INSERT INTO vtxo_settlements ${
              sql.insert({ settlement_id: settlement.settlement_id, body: settlementBody.encode(recorded) })
            }`
          }
          return order
        }).pipe(ops.run("recordSettlement"))
      ),

    listSettlements: (limit) =>
      (limit <= 0
        ? Effect.succeed([])
        : sql<{ body: unknown }>`SELECT body FROM vtxo_settlements ORDER BY seq DESC LIMIT ${limit}`.pipe(
          Effect.flatMap((rows) => Effect.forEach(rows, (r) => settlementBody.decode(r.body)))
        )).pipe(ops.run("listSettlements"))
  })
})

export const layer = Layer.scoped(VtxoStore, make)
