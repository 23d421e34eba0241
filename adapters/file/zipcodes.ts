import { readFile } from "node:fs/promises"
import { Data, Effect, Either, Layer, Schema } from "effect"
import { ZipcodeEntry } from "../../core/epochs/model.js"
import { ZipcodeCatalogue } from "../../ports/zipcode-catalogue.js"
import { describeIssues } from "./issues.js"

/** ZIPCODES_FILE could not be read or is not a valid catalogue; start-up stops. */
export class CatalogueLoadFailed extends Data.TaggedError("CatalogueLoadFailed")<{
  readonly source: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `zipcode catalogue ${this.source}: ${this.reason}`
  }
}

/** As files spell it: `county` may be missing or null. */
const FileEntry = Schema.Struct({
  ...ZipcodeEntry.fields,
  county: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})
const FileCatalogue = Schema.Array(FileEntry)

/** Validate a parsed catalogue: every row well-formed, zipcodes unique. */
export const parseCatalogue = (json: unknown): Either.Either<ReadonlyArray<ZipcodeEntry>, string> =>
  Schema.decodeUnknownEither(FileCatalogue, { errors: "all" })(json).pipe(
    Either.mapLeft(describeIssues),
    Either.flatMap((entries) => {
      const seen = new Set<string>()
      const dupes = new Set<string>()
      for (const e of entries) (seen.has(e.zipcode) ? dupes : seen).add(e.zipcode)
      return dupes.size === 0 ? Either.right(entries) : Either.left(`duplicate zipcodes: ${[...dupes].join(", ")}`)
    })
  )

const load = (path: string | URL, source: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => new CatalogueLoadFailed({ source, reason: "cannot be read", cause })
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) => new CatalogueLoadFailed({ source, reason: "is not valid JSON", cause })
      })
    ),
    Effect.flatMap((json) => Either.mapLeft(parseCatalogue(json), (reason) => new CatalogueLoadFailed({ source, reason })))
  )

export const fromEntries = (entries: ReadonlyArray<ZipcodeEntry>) =>
  ZipcodeCatalogue.of({ entries: () => Effect.succeed(entries) })

/** ZIPCODES_FILE: a JSON array of `{zipcode, state, city, county, marketTier, geographicRegion, expectedListings}`, read once at start. */
export const makeFile = (path: string) => load(path, path).pipe(Effect.map(fromEntries))

export const DEMO_CATALOGUE_PATH = new URL("./demo-zipcodes.json", import.meta.url)

/** The bundled demo catalogue: 68 US zipcodes across the three tiers, 64 of them selectable. */
export const makeDemo = load(DEMO_CATALOGUE_PATH, "bundled demo catalogue").pipe(Effect.map(fromEntries))

export const layerFile = (path: string) => Layer.effect(ZipcodeCatalogue, makeFile(path))
export const layerDemo = Layer.effect(ZipcodeCatalogue, makeDemo)
export const layerEntries = (entries: ReadonlyArray<ZipcodeEntry>) => Layer.succeed(ZipcodeCatalogue, fromEntries(entries))
