import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, ConfigProviderPathPatch, Effect, HashSet } from "effect"
import * as AppConfig from "../../apps/config.js"
import { CONFIG_VARIABLES, README_MARKERS, renderConfigTable, withConfigTable } from "../../apps/config.docs.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

/** Every Config (and config-reading Effect) apps/config.ts exports, so a new one is covered without listing it here. */
const configs = Object.entries(AppConfig).filter(([, v]) => Effect.isEffect(v)) as Array<[string, Effect.Effect<unknown, unknown>]>

const documented = CONFIG_VARIABLES.flatMap((v) => v.names)
/** `COMETBFT_RPC_<CHAIN>` is read for each chain present; one sample chain makes the code read it. */
const SAMPLE_CHAIN = "SAMPLE_1"
const sampleName = (name: string) => name.replace("<CHAIN>", SAMPLE_CHAIN)

/**
 * A ConfigProvider that has no values (every variable unset) but lists the sample
 * per-chain names, and records every variable the code asks it for.
 */
const recordingProvider = (seen: Set<string>) =>
  ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (path) => {
      seen.add(path.join("_"))
      return Effect.fail(ConfigError.MissingData([...path], `${path.join("_")} is unset`))
    },
    enumerateChildren: (path) =>
      Effect.succeed(path.length === 0 ? HashSet.fromIterable(documented.filter((n) => n.includes("<CHAIN>")).map(sampleName)) : HashSet.empty()),
    patch: ConfigProviderPathPatch.empty
  }))

const loadAll = (provider: ConfigProvider.ConfigProvider) =>
  Effect.forEach(configs, ([name, config]) => Effect.map(Effect.either(config), (result) => [name, result] as const)).pipe(
    Effect.withConfigProvider(provider)
  )

describe("README configuration table ↔ apps/config.ts", () => {
  it.effect("documents exactly the variables the Config code reads", () =>
    Effect.gen(function*() {
      const seen = new Set<string>()
      yield* loadAll(recordingProvider(seen))
      const read = Array.from(seen, (n) => n.replace(SAMPLE_CHAIN, "<CHAIN>")).sort()
      expect(configs.length).toBeGreaterThan(5)
      expect(read, "apps/config.ts reads these: list each in apps/config.docs.ts, then run npm run docs:readme").toEqual([...documented].sort())
    }))

  it("no variable is read through Config outside apps/config.ts", () => {
    const files = (dir: string): Array<string> =>
      readdirSync(join(root, dir)).flatMap((f) => {
        const p = join(dir, f)
        return statSync(join(root, p)).isDirectory() ? (f === "gen" ? [] : files(p)) : p.endsWith(".ts") ? [p] : []
      })
    const offenders = ["core", "ports", "adapters", "apps", "client"].flatMap(files)
      .filter((f) => f !== join("apps", "config.ts"))
      .flatMap((f) =>
        Array.from(readFileSync(join(root, f), "utf8").matchAll(/\bConfig\.[a-zA-Z]+\(\s*["'`]([A-Z][A-Z0-9_]+)["'`]/g), (m) => `${f}: ${m[1]}`))
    expect(offenders).toEqual([])
  })

  it.effect("each documented default is what leaving the variable unset does", () =>
    Effect.gen(function*() {
      const unset = yield* loadAll(ConfigProvider.fromMap(new Map()))
      const withDefaults = CONFIG_VARIABLES.flatMap((v) => Object.entries(v.defaults ?? {}))
      expect(withDefaults.length).toBeGreaterThan(10)
      for (const [name, value] of withDefaults) {
        expect(documented, `${name} has a default but is not one of its row's names`).toContain(name)
        const set = yield* loadAll(ConfigProvider.fromMap(new Map([[name, value]])))
        expect(set, `${name}=${value} should behave like leaving ${name} unset`).toEqual(unset)
      }
    }))

  it.effect("a different value than the documented default is noticed (the comparison can fail)", () =>
    Effect.gen(function*() {
      const unset = yield* loadAll(ConfigProvider.fromMap(new Map()))
      const changed = yield* loadAll(ConfigProvider.fromMap(new Map([["SESSION_TIMEOUT_MINUTES", "31"]])))
      expect(changed).not.toEqual(unset)
    }))

  it("README.md carries the rendered table between its markers", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    expect(readme, `README.md needs ${README_MARKERS.start} and ${README_MARKERS.end}`).toContain(README_MARKERS.start)
    expect(readme).toContain(renderConfigTable())
    expect(withConfigTable(readme), "README.md's configuration table is stale: run npm run docs:readme").toEqual(readme)
  })
})
