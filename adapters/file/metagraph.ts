import { readFile, stat } from "node:fs/promises"
import { Duration, Effect, Either, Layer, Option, Ref, Schedule, Schema } from "effect"
import { Ss58Address } from "../../core/epochs/model.js"
import { Metagraph, MetagraphUnavailable, type Neuron } from "../../ports/metagraph.js"
import { describeIssues } from "./issues.js"
import { hotFn } from "../../core/shared/hot-fn.js"

const JsonNeurons = Schema.Array(Schema.Struct({
  hotkey: Ss58Address,
  coldkey: Schema.optional(Schema.NullOr(Ss58Address)),
  validatorPermit: Schema.Boolean
}))

const PERMIT: Readonly<Record<string, boolean>> = { true: true, false: false, "1": true, "0": false, yes: true, no: false }

const ss58 = Schema.decodeUnknownEither(Ss58Address)

/** `hotkey,coldkey,validatorPermit` per line; a header line and blank lines are skipped, coldkey may be empty. */
const parseCsv = (text: string): Either.Either<ReadonlyArray<Neuron>, string> => {
  const neurons: Array<Neuron> = []
  const problems: Array<string> = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || (i === 0 && line.toLowerCase().startsWith("hotkey"))) return
    const cells = line.split(",").map((c) => c.trim())
    const [hotkey = "", coldkey = "", permit = ""] = cells
    const lineProblems = [
      ...(cells.length !== 3 ? ["expected 3 columns"] : []),
      ...(Either.isLeft(ss58(hotkey)) ? ["hotkey is not an SS58 address with prefix 42"] : []),
      ...(coldkey !== "" && Either.isLeft(ss58(coldkey)) ? ["coldkey is not an SS58 address with prefix 42"] : []),
      ...(PERMIT[permit.toLowerCase()] === undefined ? ["validatorPermit must be true or false"] : [])
    ]
    if (lineProblems.length > 0) problems.push(`line ${i + 1}: ${lineProblems.join("; ")}`)
    else neurons.push({ hotkey, ...(coldkey === "" ? {} : { coldkey }), validatorPermit: PERMIT[permit.toLowerCase()]! })
  })
  return problems.length === 0 ? Either.right(neurons) : Either.left(problems.join("\n"))
}

const parseJson = (text: string): Either.Either<ReadonlyArray<Neuron>, string> =>
  Either.try({ try: () => JSON.parse(text) as unknown, catch: () => "is not valid JSON" }).pipe(
    Either.flatMap((json) =>
      Schema.decodeUnknownEither(JsonNeurons, { errors: "all" })(json).pipe(
        Either.mapLeft(describeIssues)
      )
    ),
    Either.map((rows) =>
      rows.map((r) => ({ hotkey: r.hotkey, ...(r.coldkey == null ? {} : { coldkey: r.coldkey }), validatorPermit: r.validatorPermit }))
    )
  )

/**
 * METAGRAPH_FILE contents: a JSON array of `{hotkey, coldkey?, validatorPermit}`,
 * or CSV `hotkey,coldkey,validatorPermit`. A hotkey listed twice is an error.
 */
export const parseMetagraph = (text: string): Either.Either<ReadonlyArray<Neuron>, string> =>
  (text.trimStart().startsWith("[") ? parseJson(text) : parseCsv(text)).pipe(
    Either.flatMap((neurons) => {
      const seen = new Set<string>()
      const dupes = neurons.filter((n) => seen.size === seen.add(n.hotkey).size).map((n) => n.hotkey)
      return dupes.length === 0 ? Either.right(neurons) : Either.left(`hotkeys listed twice: ${dupes.join(", ")}`)
    })
  )

interface Snapshot {
  readonly byHotkey: ReadonlyMap<string, Neuron>
  /** mtime and size of the file it was read from: a change of either triggers a reload. */
  readonly version: string
}

const readSnapshot = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      const info = await stat(path)
      return { text: await readFile(path, "utf8"), version: `${info.mtimeMs}:${info.size}` }
    },
    catch: (cause) => new MetagraphUnavailable({ reason: `cannot read ${path}`, cause })
  }).pipe(
    Effect.flatMap(({ text, version }) =>
      Either.match(parseMetagraph(text), {
        onLeft: (reason) => Effect.fail(new MetagraphUnavailable({ reason: `${path}: ${reason}` })),
        onRight: (neurons): Effect.Effect<Snapshot> =>
          Effect.succeed({ byHotkey: new Map(neurons.map((n) => [n.hotkey, n])), version })
      })
    )
  )

const fileVersion = (path: string) =>
  Effect.tryPromise({
    try: () => stat(path),
    catch: (cause) => new MetagraphUnavailable({ reason: `cannot stat ${path}`, cause })
  }).pipe(Effect.map((info) => `${info.mtimeMs}:${info.size}`))

/**
 * Reads METAGRAPH_FILE at start (an unreadable or invalid file stops start-up)
 * and re-reads it when it changes, checked every `pollEvery`, so an operator's
 * sync job can rewrite it without a restart. A bad rewrite is logged and the
 * previous snapshot stays in force.
 */
export const make = (path: string, options: { readonly pollEvery?: Duration.DurationInput } = {}) =>
  Effect.gen(function*() {
    const ref = yield* Ref.make(yield* readSnapshot(path))
    const refresh = Effect.gen(function*() {
      const version = yield* fileVersion(path)
      if (version === (yield* Ref.get(ref)).version) return
      const next = yield* readSnapshot(path)
      yield* Ref.set(ref, next)
      yield* Effect.logInfo("metagraph reloaded").pipe(Effect.annotateLogs({ path, neurons: next.byHotkey.size }))
    }).pipe(Effect.catchAll((e) => Effect.logWarning("metagraph reload failed; keeping the previous snapshot").pipe(
      Effect.annotateLogs({ path, reason: e.reason })
    )))
    yield* refresh.pipe(Effect.repeat(Schedule.spaced(options.pollEvery ?? Duration.seconds(30))), Effect.forkScoped)
    return Metagraph.of({
      lookup: hotFn("Metagraph.lookup")(function*(hotkey: string) {
        return Option.fromNullable((yield* Ref.get(ref)).byHotkey.get(hotkey))
      })
    })
  })

export const layer = (path: string, options?: { readonly pollEvery?: Duration.DurationInput }) =>
  Layer.scoped(Metagraph, make(path, options))
