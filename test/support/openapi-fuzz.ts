import fc from "fast-check"

/**
 * fast-check arbitraries of hostile HTTP requests, derived from the app's own
 * OpenAPI document (/docs-json): every operation's path, query, header and
 * body parameters get well-formed values mixed with missing, extra,
 * wrong-typed, oversized, unicode, negative, fractional, huge and
 * injection-shaped ones.
 */

export type JsonSchema = { readonly [k: string]: any }

export interface Operation {
  readonly method: string
  readonly path: string
  readonly parameters: ReadonlyArray<{ readonly name: string; readonly in: "path" | "query" | "header"; readonly required: boolean; readonly schema: JsonSchema }>
  readonly body: JsonSchema | undefined
  readonly bearer: boolean
}

/** Every operation of an OpenAPI 3.1 document, with `$ref`s left for `resolve`. */
export const operations = (doc: any): ReadonlyArray<Operation> =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
      .map(([method, op]): Operation => ({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, required: p.required === true, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.["application/json"]?.schema,
        bearer: Array.isArray(op.security) && op.security.some((s: any) => "bearer" in s)
      }))
  )

/** Strings an attacker tries first: SQL, traversal, prototype keys, NUL, markup, template and format injection. */
export const INJECTIONS: ReadonlyArray<string> = [
  "' OR '1'='1",
  "1; DROP TABLE sessions; --",
  "\" OR \"\"=\"",
  "1' UNION SELECT password FROM users --",
  "../../../../etc/passwd",
  "..\\..\\..\\windows\\win.ini",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "/etc/passwd\u0000.json",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "\u0000",
  "abc\u0000def",
  "<script>alert(1)</script>",
  "\"><img src=x onerror=alert(1)>",
  "${jndi:ldap://127.0.0.1/a}",
  "{{7*7}}",
  "%s%s%s%n",
  "\r\nX-Injected: yes",
  "$where",
  "{\"$gt\":\"\"}",
  "null",
  "undefined",
  "NaN",
  "-0",
  "0x10",
  "1e309",
  "🦄💥",
  "\u202e\u0645\u0631\u062d\u0628\u0627",
  "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫg̝͚̎o̴",
  "\ud800",
  " ",
  ""
]

const HUGE_NUMBERS: ReadonlyArray<number> = [
  -1,
  -0,
  0,
  0.5,
  -1.5,
  1e-9,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 63),
  2 ** 64,
  1e21,
  1.7976931348623157e308,
  Number.MIN_VALUE
]

/** Number literals JSON can carry but JavaScript numbers cannot hold exactly (spliced into the raw body text). */
export const RAW_NUMBERS: ReadonlyArray<string> = ["99999999999999999999999999", "1e400", "-1e400", "1.0000000000000000000001", "123456789012345678901234567890.5"]

const RAW_MARK = "\u0001raw:"

const oversized = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 300, max: 5_000 }).map((n) => "A".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 50_000, max: 200_000 }).map((n) => "9".repeat(n)) },
  { weight: 1, arbitrary: fc.constant("é".repeat(30_000)) }
)

/** Any code points (fc.string's "binary" unit costs seconds to set up; this is the same values, cheaply). */
const codePoints = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength }).map((cps) => String.fromCodePoint(...cps))

const unicode = fc.oneof(
  codePoints(40),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("\u200b", "\ufeff", "ＡＢＣ", "𝕒𝕓𝕔", "\u0301\u0301", "\u{10ffff}")
)

/** A value that is wrong for the schema in some way (or right by accident; the app must cope either way). */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: unicode },
  { weight: 1, arbitrary: oversized },
  { weight: 3, arbitrary: fc.constantFrom(...HUGE_NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((s) => `${RAW_MARK}${s}`) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(true, false, null, [], {}, [1, "a"], { a: { b: { c: [] } } }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ __proto__: { polluted: true } }, JSON.parse("{\"__proto__\":{\"polluted\":true}}"), { constructor: { prototype: { polluted: true } } }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }
)

const resolve = (doc: any, schema: JsonSchema | undefined): JsonSchema => {
  let s = schema ?? {}
  for (let i = 0; i < 10 && typeof s.$ref === "string"; i++) {
    s = s.$ref.split("/").slice(1).reduce((node: any, part: string) => node?.[part], doc) ?? {}
  }
  return s
}

const patterned = (pattern: string): fc.Arbitrary<string> => {
  try {
    return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length < 300)
  } catch {
    return fc.string()
  }
}

/** A value shaped like the schema asks (what a well-behaved client would send). */
export const wellFormed = (doc: any, schema0: JsonSchema | undefined, pools: Pools, depth = 0): fc.Arbitrary<unknown> => {
  const schema = resolve(doc, schema0)
  if (depth > 4) return fc.constant(null)
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum)
  const alts = schema.anyOf ?? schema.oneOf
  if (Array.isArray(alts) && alts.length > 0) return fc.oneof(...alts.map((a: JsonSchema) => wellFormed(doc, a, pools, depth + 1)))
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return wellFormed(doc, schema.allOf[0], pools, depth + 1)
  switch (schema.type) {
    case "string":
      return fc.oneof(
        schema.pattern !== undefined ? patterned(schema.pattern) : fc.string({ maxLength: 40 }),
        pools.any()
      )
    case "integer":
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER) })
    case "number":
      return fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true }))
    case "boolean":
      return fc.boolean()
    case "null":
      return fc.constant(null)
    case "array":
      return fc.array(wellFormed(doc, schema.items, pools, depth + 1), { maxLength: 3 })
    case "object":
      return objectOf(doc, schema, pools, depth)
    default:
      // NumberFromString and friends: a numeric string, or anything at all.
      return schema.title === "NumberFromString" || schema.$id?.includes("NumberFromString")
        ? fc.oneof(fc.nat().map(String), fc.integer().map(String))
        : fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean())
  }
}

/** Either a well-formed value or a hostile one. */
export const fuzzValue = (doc: any, schema: JsonSchema | undefined, pools: Pools, depth = 0): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: wellFormed(doc, schema, pools, depth) }, { weight: 2, arbitrary: hostile })

const EXTRA_KEYS = fc.constantFrom("__proto__", "constructor", "prototype", "extra", "admin", "isAdmin", "_tag", "$where", "a".repeat(300), "é")

const objectOf = (doc: any, schema: JsonSchema, pools: Pools, depth: number): fc.Arbitrary<Record<string, unknown>> => {
  const props = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)
  const required = new Set<string>(schema.required ?? [])
  const fields = props.map(([name, s]) =>
    fc.oneof(
      { weight: required.has(name) ? 8 : 4, arbitrary: fuzzValue(doc, s, pools, depth + 1).map((v) => [[name, v] as const]) },
      { weight: 1, arbitrary: fc.constant([] as ReadonlyArray<readonly [string, unknown]>) }
    )
  )
  const extras = fc.array(fc.tuple(EXTRA_KEYS, hostile), { maxLength: 2 })
  return fc.tuple(fc.tuple(...fields), extras, fc.boolean()).map(([present, more, withExtras]) => {
    const out: Record<string, unknown> = {}
    const set = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    for (const entries of present) for (const [k, v] of entries) set(k, v)
    if (withExtras) for (const [k, v] of more) set(k, v)
    return out
  })
}

/**
 * Identifiers the app handed out in 2xx bodies (session ids, asset ids,
 * tokens, …), so generated requests also reach existing records and not only
 * "not found".
 */
export class Pools {
  private readonly byKey = new Map<string, Array<string>>()
  private readonly all: Array<string> = []

  harvest(body: unknown, depth = 0): void {
    if (depth > 5 || body === null || typeof body !== "object") return
    for (const [k, v] of Object.entries(body)) {
      if (typeof v === "string" && v.length > 0 && v.length < 200 && /(id|hash|token|pubkey|txid|hotkey|address)$/i.test(k)) {
        const list = this.byKey.get(k) ?? []
        if (!list.includes(v) && list.length < 50) {
          list.push(v)
          this.byKey.set(k, list)
          this.all.push(v)
        }
      } else this.harvest(v, depth + 1)
    }
  }

  /** Resolved when the request is built, so values learnt during the run are used. */
  pick(key: string, n: number): string | undefined {
    const list = this.byKey.get(key) ?? (this.all.length > 0 ? this.all : undefined)
    return list === undefined ? undefined : list[n % list.length]
  }

  any(): fc.Arbitrary<string> {
    return fc.nat().map((n) => `${POOL_MARK}${n}`)
  }

  /** Replaces pool markers (left by `any`) with a harvested value for `key`. */
  fill(key: string, value: unknown): unknown {
    if (typeof value === "string" && value.startsWith(POOL_MARK)) return this.pick(key, Number(value.slice(POOL_MARK.length))) ?? "unknown"
    if (Array.isArray(value)) return value.map((v) => this.fill(key, v))
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: this.fill(k, v), enumerable: true, writable: true, configurable: true })
      return out
    }
    return value
  }
}

const POOL_MARK = "\u0002pool:"

/** JSON text of `value`, with raw number markers spliced in as bare number literals. */
export const toJsonText = (value: unknown): string =>
  (JSON.stringify(value) ?? "null").replace(new RegExp(`"${RAW_MARK.replace("\u0001", "\\\\u0001")}([^"]*)"`, "g"), "$1")

/** A path or query value as text: numbers and booleans stringified, objects as JSON. */
export const asText = (value: unknown): string => {
  const s = typeof value === "string" ? value : value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) ?? "" : String(value)
  return s.startsWith(RAW_MARK) ? s.slice(RAW_MARK.length) : s
}

/** URL-encodes a path segment; lone surrogates (which encodeURIComponent refuses) are made well-formed first. */
export const encodeSegment = (s: string): string =>
  encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"))

/** Bodies that are not the JSON object the route expects. */
export const malformedBody = fc.oneof(
  fc.constantFrom(
    "{",
    "{\"a\":",
    "[1,2",
    "nul",
    "'single'",
    "{\"a\":1,}",
    "\u0000",
    "\"\\ud800\"",
    "[]",
    "null",
    "0",
    "\"text\"",
    "{\"__proto__\":{\"polluted\":true}}",
    "{\"constructor\":{\"prototype\":{\"polluted\":true}}}",
    "{\"a\":1,\"a\":2}"
  ),
  // Up to MAX_JSON_DEPTH's default: deeper bodies are refused at the socket (limits.ts), before the app.
  fc.integer({ min: 10, max: 64 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.integer({ min: 10, max: 64 }).map((n) => "{\"a\":".repeat(n) + "1" + "}".repeat(n)),
  codePoints(200)
)
