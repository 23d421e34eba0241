import { describe, expect, it } from "@effect/vitest"
import type { KeyringPair } from "@polkadot/keyring/types"
import { createHmac } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, TestClock } from "effect"
import { Commitments } from "../../../../core/epochs/commitments.js"
import { devPair, signHex, signWrappedHex } from "../../../support/epochs.js"
import { request, startApp } from "../../../support/http-app.js"

const T0 = Date.parse("2025-10-01T17:00:00.000Z")
const S3_SECRET = "black-box-test-secret-0123456789abcdef"

const miner = devPair("//FlowMiner")
const minerCold = devPair("//FlowCold")
const validator = devPair("//FlowValidator")
const stranger = devPair("//FlowStranger")

const dir = mkdtempSync(join(tmpdir(), "relaygate-epochs-"))
const metagraphFile = join(dir, "metagraph.csv")
writeFileSync(metagraphFile, `hotkey,coldkey,validatorPermit\n${miner.address},${minerCold.address},false\n${validator.address},,true\n`)

const ENV = {
  EPOCH_SECRET: "black-box-epoch-secret",
  METAGRAPH_FILE: metagraphFile,
  S3_BUCKET: "sn46-data",
  S3_VALIDATOR_BUCKET: "sn46-validated",
  S3_REGION: "us-east-2",
  S3_ACCESS_KEY_ID: "AKIABLACKBOXTEST0000",
  S3_SECRET_ACCESS_KEY: S3_SECRET
}

const sigV4 = (credential: string, policy: string) => {
  const [, date, region, service, terminator] = credential.split("/")
  const h = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest()
  return createHmac("sha256", h(h(h(h(`AWS4${S3_SECRET}`, date!), region!), service!), terminator!)).update(policy).digest("hex")
}

const setup = (env: Record<string, string> = ENV) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    const app = yield* startApp(env)
    const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
    const now = Effect.map(TestClock.currentTimeMillis, (ms) => Math.floor(ms / 1000))
    /** What the spec's client does for GET /current. */
    const current = (pair: KeyringPair, sign: (p: KeyringPair, c: string) => string = signHex, offset = 0) =>
      Effect.gen(function*() {
        const timestamp = (yield* now) + offset
        const q = new URLSearchParams({ hotkey: pair.address, signature: sign(pair, Commitments.currentAssignment(timestamp)), timestamp: String(timestamp) })
        return yield* call("GET", `/api/v1/zipcode-assignments/current?${q}`)
      })
    const postStatus = (pair: KeyringPair, epochId: string, nonce: string, status: string, extra: Record<string, unknown> = {}, legacy = false) =>
      Effect.gen(function*() {
        const timestamp = yield* now
        const commitment = legacy ? Commitments.zipcodeStatus(epochId, timestamp) : Commitments.minerStatus(pair.address, epochId, timestamp)
        return yield* call("POST", "/api/v1/zipcode-assignments/status", {
          hotkey: pair.address,
          signature: signHex(pair, commitment),
          timestamp,
          epochId,
          nonce,
          status,
          ...extra
        })
      })
    return { app, call, now, current, postStatus }
  })

const nestError = (status: number, error: string) => ({ statusCode: status, error, message: expect.any(Array) })

describe("epochs over HTTP: a miner and a validator through an epoch", () => {
  it.scoped("assignments, status, upload grants, validation, stats and health, with the spec's shapes", () =>
    Effect.gen(function*() {
      const { call, now, current, postStatus } = yield* setup()

      const health = yield* call("GET", "/healthcheck")
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({ status: "ok", database: "connected", service: "resi-labs-api", timestamp: "2025-10-01T17:00:00.000Z" })

      // Miner: current assignment.
      const assigned = yield* current(miner)
      expect(assigned.status).toBe(200)
      expect(Object.keys(assigned.body).sort()).toEqual(
        ["success", "epochId", "epochStart", "epochEnd", "nonce", "targetListings", "tolerancePercent", "submissionDeadline", "zipcodes", "metadata"].sort()
      )
      expect(assigned.body).toMatchObject({
        success: true,
        epochId: "2025-10-01T16-00-00",
        epochStart: "2025-10-01T16:00:00.000Z",
        epochEnd: "2025-10-01T20:00:00.000Z",
        submissionDeadline: "2025-10-01T20:00:00.000Z",
        targetListings: 10000,
        tolerancePercent: 10
      })
      expect(assigned.body.nonce).toMatch(/^[0-9a-f]{16}$/)
      const zips = assigned.body.zipcodes as Array<Record<string, unknown>>
      expect(Object.keys(zips[0]!)).toEqual(["zipcode", "expectedListings", "state", "city", "county", "marketTier", "geographicRegion"])
      const total = zips.reduce((a, z) => a + (z["expectedListings"] as number), 0)
      expect(assigned.body.metadata).toEqual({ totalExpectedListings: total, zipcodeCount: zips.length, algorithmVersion: "v1.0", selectionSeed: expect.any(Number) })
      expect(total).toBeGreaterThanOrEqual(9000)
      expect(total).toBeLessThanOrEqual(11000)
      expect(assigned.headers.get("x-ratelimit-limit")).toBe("10")
      expect(assigned.headers.get("x-ratelimit-remaining")).toBe("9")
      expect(assigned.headers.get("x-ratelimit-reset")).toBe(String(T0 / 1000 + 60))
      const { epochId, nonce } = assigned.body

      // Miner: upload grant for its folder; the policy is signed with the configured secret.
      const ts = yield* now
      const folder = yield* call("POST", "/get-folder-access", {
        coldkey: minerCold.address,
        hotkey: miner.address,
        timestamp: ts,
        signature: signHex(miner, Commitments.folderAccess(minerCold.address, miner.address, ts)),
        expiry: ts + 86400
      })
      expect(folder.status).toBe(200)
      expect(folder.body).toMatchObject({
        success: true,
        message: "S3 upload credentials generated successfully",
        uploadUrl: "https://sn46-data.s3.us-east-2.amazonaws.com/",
        url: "https://sn46-data.s3.us-east-2.amazonaws.com/",
        metadata: { folderPath: `data/hotkey=${miner.address}/`, expiresAt: "2025-10-02T17:00:00.000Z", maxFileSize: "100MB" }
      })
      const fields = folder.body.fields
      expect(fields).toMatchObject({ acl: "private", bucket: "sn46-data", key: `data/hotkey=${miner.address}/epoch=${epochId}/timestamp=${ts}/`, "X-Amz-Algorithm": "AWS4-HMAC-SHA256" })
      expect(fields["X-Amz-Signature"]).toBe(sigV4(fields["X-Amz-Credential"], fields["Policy"]))
      const policy = JSON.parse(Buffer.from(fields["Policy"], "base64").toString())
      expect(policy.conditions).toContainEqual(["starts-with", "$key", `data/hotkey=${miner.address}/`])
      expect(policy.conditions).toContainEqual(["content-length-range", 1, 100 * 1024 * 1024])

      // Miner: progress, then completion with the commitment current clients send.
      const progress = yield* postStatus(miner, epochId, nonce, "IN_PROGRESS", { listingsScraped: 500, s3UploadComplete: false })
      expect(progress.status).toBe(200)
      expect(progress.body).toEqual({ success: true, message: "Miner status updated successfully", epochId, status: "IN_PROGRESS", timestamp: "2025-10-01T17:00:00.000Z" })
      yield* TestClock.adjust("30 minutes")
      const done = yield* postStatus(miner, epochId, nonce, "COMPLETED", {
        listingsScraped: 1250,
        zipcodesCompleted: [{ zipcode: zips[0]!["zipcode"], listingsScraped: 245, completedAt: "2025-10-01T17:30:00.000Z" }],
        s3UploadComplete: true,
        s3UploadTimestamp: "2025-10-01T17:29:00.000Z"
      }, true)
      expect(done.status).toBe(200)
      expect(done.body).toMatchObject({ status: "COMPLETED", timestamp: "2025-10-01T17:30:00.000Z" })
      expect(done.headers.get("x-ratelimit-limit")).toBe("5")
      const wrongNonce = yield* postStatus(miner, epochId, "0000000000000000", "COMPLETED")
      expect(wrongNonce.status).toBe(400)
      expect(wrongNonce.body).toEqual({ ...nestError(400, "Bad Request"), message: [`Invalid nonce for epoch ${epochId}`], epochId })

      // Validator: the epoch, after it ended, and an upload grant for its results.
      yield* TestClock.setTime(Date.parse("2025-10-01T20:05:00.000Z"))
      const vts = yield* now
      const q = new URLSearchParams({ hotkey: validator.address, signature: signHex(validator, Commitments.epochValidation(epochId, vts)), timestamp: String(vts) })
      const past = yield* call("GET", `/api/v1/zipcode-assignments/epoch/${epochId}?${q}`)
      expect(past.status).toBe(200)
      expect(past.body).toMatchObject({ epochId, nonce, status: "COMPLETED", zipcodes: zips })
      const upload = yield* call("POST", "/api/v1/s3-access/validator-upload", {
        hotkey: validator.address,
        signature: signHex(validator, Commitments.validatorUpload(vts)),
        timestamp: vts,
        epochId,
        purpose: "epoch_validation_results",
        estimatedDataSizeMb: 25,
        retentionDays: 90
      })
      expect(upload.status).toBe(200)
      expect(upload.body.fields.key).toBe(`validators/${validator.address}/${epochId}/validation_results/${vts}/`)
      expect(upload.body.fields.bucket).toBe("sn46-validated")
      expect(upload.body.metadata).toEqual({
        folderPath: `validators/${validator.address}/`,
        expiresAt: "2025-10-02T00:05:00.000Z",
        maxFileSize: "100MB",
        supportedFormats: ["parquet", "csv", "json"]
      })
      expect(upload.headers.get("x-ratelimit-limit")).toBe("5")
      expect(upload.body.fields["X-Amz-Signature"]).toBe(sigV4(upload.body.fields["X-Amz-Credential"], upload.body.fields["Policy"]))

      // Late status for the ended epoch is refused; the next epoch has fresh zipcodes.
      const late = yield* postStatus(miner, epochId, nonce, "TIMEOUT")
      expect(late.status).toBe(400)
      const next = yield* current(miner)
      expect(next.body.epochId).toBe("2025-10-01T20-00-00")
      const before = new Set(zips.map((z) => z["zipcode"]))
      expect((next.body.zipcodes as Array<Record<string, unknown>>).filter((z) => before.has(z["zipcode"]))).toEqual([])

      const stats = yield* call("GET", "/api/v1/zipcode-assignments/stats")
      expect(stats.status).toBe(200)
      expect(stats.body).toMatchObject({
        success: true,
        currentTime: Math.floor(Date.parse("2025-10-01T20:05:00.000Z") / 1000),
        systemStatus: "operational",
        epochStatus: {
          currentEpoch: { id: "2025-10-01T20-00-00", status: "ACTIVE", startTime: "2025-10-01T20:00:00.000Z", endTime: "2025-10-02T00:00:00.000Z" },
          timing: { timeUntilEpochEnd: 3 * 3600 + 55 * 60, timeUntilNextEpoch: 3 * 3600 + 55 * 60, epochDurationHours: 4 },
          nextEpoch: { startTime: "2025-10-02T00:00:00.000Z" }
        },
        zipcodeStatistics: {
          totalZipcodes: 68,
          activeZipcodes: 64,
          inactiveZipcodes: 4,
          configuration: { targetListings: 10000, tolerancePercent: 10, cooldownHours: 24, minListings: 200, maxListings: 3000 }
        }
      })
      expect(stats.body.recentPerformance.map((r: { epochId: string; status: string }) => [r.epochId, r.status])).toEqual([
        ["2025-10-01T20-00-00", "ACTIVE"],
        ["2025-10-01T16-00-00", "COMPLETED"]
      ])
      expect(stats.headers.get("x-ratelimit-limit")).toBe("30")
    }))

  it.scoped("every error the spec lists, in the NestJS body", () =>
    Effect.gen(function*() {
      const { call, now, current } = yield* setup()

      // 401: bad signature (headers too: the limiter was consulted), unregistered hotkey, reused signature.
      const ts = yield* now
      const tampered = signHex(miner, Commitments.currentAssignment(ts)).replace(/^./, (c) => (c === "0" ? "1" : "0"))
      const bad = yield* call("GET", `/api/v1/zipcode-assignments/current?hotkey=${miner.address}&signature=${tampered}&timestamp=${ts}`)
      expect(bad.status).toBe(401)
      expect(bad.body).toEqual({ statusCode: 401, message: ["Invalid signature"], error: "Unauthorized", hotkey: miner.address })
      expect(bad.headers.get("x-ratelimit-remaining")).toBe("9")

      const unknown = yield* current(stranger)
      expect(unknown.status).toBe(401)
      expect(unknown.body).toMatchObject({ ...nestError(401, "Unauthorized"), message: [`Hotkey ${stranger.address} is not registered on the subnet`] })

      const sig = signHex(miner, Commitments.currentAssignment(ts))
      const path = `/api/v1/zipcode-assignments/current?hotkey=${miner.address}&signature=0x${sig}&timestamp=${ts}`
      expect((yield* call("GET", path)).status).toBe(200)
      const replay = yield* call("GET", path)
      expect(replay.status).toBe(401)
      expect(replay.body.message).toEqual(["Signature has already been used; sign a fresh commitment"])

      // Wrapped (<Bytes>…</Bytes>) signatures, as polkadot extensions make them, are fine.
      expect((yield* current(miner, signWrappedHex, 1)).status).toBe(200)

      // 400: stale timestamp, out-of-range and missing fields (one message each).
      const stale = yield* current(miner, signHex, -600)
      expect(stale.status).toBe(400)
      expect(stale.body).toMatchObject(nestError(400, "Bad Request"))
      expect(stale.headers.get("x-ratelimit-limit")).toBeNull()
      const range = yield* call("GET", `/api/v1/zipcode-assignments/current?hotkey=nope&timestamp=2147483648`)
      expect(range.status).toBe(400)
      expect(range.body).toEqual({
        statusCode: 400,
        error: "Bad Request",
        message: [
          "hotkey must be a valid SS58 address (network prefix 42)",
          "signature must be a string",
          "timestamp must not be greater than 2147483647"
        ]
      })
      const fields = yield* call("POST", "/api/v1/zipcode-assignments/status", { hotkey: 42, timestamp: "soon", status: "DONE", zipcodesCompleted: "all" })
      expect(fields.status).toBe(400)
      expect(fields.body.message).toEqual([
        "hotkey must be a string",
        "signature must be a string",
        "timestamp must be a number conforming to the specified constraints",
        "epochId must be a string",
        "nonce should not be empty",
        "status must be one of the following values: IN_PROGRESS, COMPLETED, FAILED, TIMEOUT",
        "zipcodesCompleted must be an array"
      ])
      const notJson = yield* call("POST", "/get-folder-access", "{oops")
      expect(notJson.status).toBe(400)
      expect(notJson.body).toMatchObject(nestError(400, "Bad Request"))

      // 403: a miner on a validator route.
      const vts = yield* now
      const forbidden = yield* call("POST", "/api/v1/s3-access/validator-upload", {
        hotkey: miner.address,
        signature: signHex(miner, Commitments.validatorUpload(vts)),
        timestamp: vts,
        epochId: "2025-10-01T16-00-00"
      })
      expect(forbidden.status).toBe(403)
      expect(forbidden.body).toMatchObject({ ...nestError(403, "Forbidden"), message: [`Validator status required: hotkey ${miner.address} holds no validator permit`] })

      // 404: an epoch nobody was assigned, and an unknown route under the module's prefix.
      const q = new URLSearchParams({ hotkey: validator.address, signature: signHex(validator, Commitments.epochValidation("2025-09-01T00-00-00", vts)), timestamp: String(vts) })
      const missing = yield* call("GET", `/api/v1/zipcode-assignments/epoch/2025-09-01T00-00-00?${q}`)
      expect(missing.status).toBe(404)
      expect(missing.body).toMatchObject({ ...nestError(404, "Not Found"), message: ["Epoch 2025-09-01T00-00-00 not found"] })
      const route = yield* call("GET", "/api/v1/zipcode-assignments/nope")
      expect(route.status).toBe(404)
      expect(route.body).toMatchObject({ ...nestError(404, "Not Found"), message: ["Cannot GET /api/v1/zipcode-assignments/nope"] })

      // 429 with Retry-After once the hotkey's 10 per minute are spent.
      let last = yield* current(miner, signHex, 2)
      for (let i = 3; last.status === 200 && i < 20; i++) last = yield* current(miner, signHex, i)
      expect(last.status).toBe(429)
      expect(last.body).toMatchObject({ ...nestError(429, "Too Many Requests"), limit: 10 })
      expect(last.headers.get("x-ratelimit-limit")).toBe("10")
      expect(last.headers.get("x-ratelimit-remaining")).toBe("0")
      expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(Number(last.headers.get("retry-after"))).toBeLessThanOrEqual(60)
      yield* TestClock.adjust("61 seconds")
      expect((yield* current(miner, signHex, 50)).status).toBe(200)
    }))

  it.scoped("RATE_LIMIT_ENABLED=false: no limits, no headers", () =>
    Effect.gen(function*() {
      const { current } = yield* setup({ ...ENV, RATE_LIMIT_ENABLED: "false" })
      for (let i = 0; i < 12; i++) {
        const r = yield* current(miner, signHex, i)
        expect(r.status).toBe(200)
        expect(r.headers.get("x-ratelimit-limit")).toBeNull()
      }
    }))
})
