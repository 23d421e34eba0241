import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either, Option, TestClock } from "effect"
import { layer, make, parseMetagraph } from "../../../adapters/file/metagraph.js"
import { metagraphContract } from "../../contracts/metagraph.js"
import { devPair } from "../../support/epochs.js"
import { eventually } from "../../support/eventually.js"

const dir = mkdtempSync(join(tmpdir(), "relaygate-metagraph-"))
const write = (name: string, content: string) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

const miner = devPair("//Miner1").address
const validator = devPair("//Validator1").address
const cold = devPair("//Cold1").address
const stranger = devPair("//Stranger").address

const jsonPath = write("metagraph.json", JSON.stringify([
  { hotkey: miner, coldkey: cold, validatorPermit: false },
  { hotkey: validator, validatorPermit: true }
]))
const csvPath = write("metagraph.csv", `hotkey,coldkey,validatorPermit\n${miner},${cold},false\n\n${validator},,TRUE\n`)

const fixture = {
  registered: [{ hotkey: miner, coldkey: cold, validatorPermit: false }, { hotkey: validator, validatorPermit: true }],
  unregistered: [stranger, cold]
}
metagraphContract("METAGRAPH_FILE (JSON)", layer(jsonPath), fixture)
metagraphContract("METAGRAPH_FILE (CSV)", layer(csvPath), fixture)

describe("METAGRAPH_FILE parsing", () => {
  it("names every bad line and rejects hotkeys listed twice", () => {
    const csv = `${miner},,maybe\nnot-a-key,,true\n${validator},${validator.slice(0, -1)}x,false\n${miner},,true,extra`
    const problems = Either.getLeft(parseMetagraph(csv)).pipe(Option.getOrThrow)
    expect(problems).toContain("line 1: validatorPermit must be true or false")
    expect(problems).toContain("line 2: hotkey is not an SS58 address")
    expect(problems).toContain("line 3: coldkey is not an SS58 address")
    expect(problems).toContain("line 4: expected 3 columns")
    expect(parseMetagraph(`${miner},,true\n${miner},,false`)).toEqual(Either.left(`hotkeys listed twice: ${miner}`))
    expect(Either.isLeft(parseMetagraph(JSON.stringify([{ hotkey: miner }])))).toBe(true)
    expect(Either.isLeft(parseMetagraph("[not json"))).toBe(true)
  })

  it.effect("refuses to start on an unreadable file", () =>
    Effect.gen(function*() {
      const e = yield* make(join(dir, "nope.json")).pipe(Effect.scoped, Effect.flip)
      expect(e._tag).toBe("MetagraphUnavailable")
    }))

  it.scoped("picks up a rewritten file without a restart, and keeps the last good snapshot on a bad rewrite", () =>
    Effect.gen(function*() {
      const path = write("live.json", JSON.stringify([{ hotkey: miner, validatorPermit: false }]))
      const metagraph = yield* make(path, { pollEvery: "10 seconds" })
      expect(yield* metagraph.lookup(validator)).toEqual(Option.none())

      writeFileSync(path, JSON.stringify([{ hotkey: miner, validatorPermit: false }, { hotkey: validator, validatorPermit: true }]))
      yield* TestClock.adjust("10 seconds")
      // The reload reads the file asynchronously after the poll fires: wait for it.
      expect(yield* eventually(metagraph.lookup(validator), Option.isSome, "validator loaded")).toEqual(Option.some({ hotkey: validator, validatorPermit: true }))

      writeFileSync(path, "[broken")
      yield* TestClock.adjust("10 seconds")
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      expect(Option.isSome(yield* metagraph.lookup(validator))).toBe(true)
    }))
})
