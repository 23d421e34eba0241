import { describe, expect, it } from "@effect/vitest"
import { createHmac } from "node:crypto"
import { Effect, Redacted } from "effect"
import { make, type S3Settings } from "../../../adapters/s3/upload-grants.js"
import type { UploadGrantRequest } from "../../../ports/upload-grants.js"

const SECRET = "test-secret-key-0123456789abcdefghijklmn"
const settings: S3Settings = {
  minerBucket: "sn46-miner-data",
  validatorBucket: "sn46-validator-results",
  region: "us-east-2",
  accessKeyId: "AKIATESTKEY000000000",
  secretAccessKey: Redacted.make(SECRET)
}

const hotkey = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
const request: UploadGrantRequest = {
  bucket: "miner-data",
  key: `data/hotkey=${hotkey}/epoch=2025-10-01T16-00-00/timestamp=1759336626/`,
  keyPrefix: `data/hotkey=${hotkey}/`,
  maxBytes: 100 * 1024 * 1024,
  expiresInSeconds: 86_400
}

type Condition = Record<string, string> | [string, string, string | number, ...Array<string | number>]
interface Policy {
  readonly expiration: string
  readonly conditions: ReadonlyArray<Condition>
}

const decodePolicy = (fields: Readonly<Record<string, string>>): Policy => JSON.parse(Buffer.from(fields["Policy"]!, "base64").toString("utf8"))

/** SigV4 for POST policies: HMAC chain "AWS4"+secret → date → region → "s3" → "aws4_request", then over the base64 policy. */
const sigV4 = (secret: string, credential: string, policyB64: string) => {
  const [, date, region, service, terminator] = credential.split("/")
  const h = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest()
  const kSigning = h(h(h(h(`AWS4${secret}`, date!), region!), service!), terminator!)
  return createHmac("sha256", kSigning).update(policyB64).digest("hex")
}

/** What S3 checks on a POST: every condition holds for the submitted form and file size. */
const policyAllows = (policy: Policy, form: Readonly<Record<string, string>>, size: number) =>
  policy.conditions.every((c) => {
    if (!Array.isArray(c)) return Object.entries(c).every(([k, v]) => form[k] === v)
    const [op, a, b] = c
    if (op === "content-length-range") return size >= Number(a) && size <= Number(b)
    const value = form[String(a).replace(/^\$/, "")] ?? ""
    return op === "starts-with" ? value.startsWith(String(b)) : value === String(b)
  })

describe("S3 presigned POST grants", () => {
  it.scoped("sign a policy restricted to the prefix, the size limit and the expiry, verifiable with the secret", () =>
    Effect.gen(function*() {
      const grants = yield* make(settings)
      const grant = yield* grants.grant(request)
      const { fields } = grant
      expect(grant.bucket).toBe("sn46-miner-data")
      expect(grant.url).toBe("https://sn46-miner-data.s3.us-east-2.amazonaws.com/")
      expect(fields["key"]).toBe(request.key)
      expect(fields["acl"]).toBe("private")
      expect(fields["bucket"]).toBe("sn46-miner-data")
      expect(fields["X-Amz-Algorithm"]).toBe("AWS4-HMAC-SHA256")

      const credential = fields["X-Amz-Credential"]!
      expect(credential).toMatch(/^AKIATESTKEY000000000\/\d{8}\/us-east-2\/s3\/aws4_request$/)
      expect(fields["X-Amz-Signature"]).toBe(sigV4(SECRET, credential, fields["Policy"]!))
      expect(fields["X-Amz-Signature"]).not.toBe(sigV4("wrong-secret", credential, fields["Policy"]!))

      const policy = decodePolicy(fields)
      expect(policy.conditions).toContainEqual(["starts-with", "$key", request.keyPrefix])
      expect(policy.conditions).toContainEqual(["content-length-range", 1, request.maxBytes])
      expect(policy.conditions).toContainEqual({ acl: "private" })
      expect(policy.conditions).toContainEqual({ bucket: "sn46-miner-data" })
      expect(policy.conditions).toContainEqual({ "X-Amz-Credential": credential })
      // No exact-key condition: any key in the folder is allowed.
      expect(policy.conditions.some((c) => !Array.isArray(c) && "key" in c)).toBe(false)

      // Expiry: exactly expiresInSeconds after the signing date.
      const amzDate = fields["X-Amz-Date"]!
      const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`)
      expect(Date.parse(policy.expiration) - signedAt).toBe(request.expiresInSeconds * 1000)

      const form = (key: string) => ({ ...fields, key })
      expect(policyAllows(policy, form(`${request.key}listings.parquet`), 5_000_000)).toBe(true)
      expect(policyAllows(policy, form(`data/hotkey=${hotkey}/epoch=2025-10-01T16-00-00/metadata.json`), 100)).toBe(true)
      expect(policyAllows(policy, form("data/hotkey=5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty/x.parquet"), 100)).toBe(false)
      expect(policyAllows(policy, form(`${request.key}big.parquet`), request.maxBytes + 1)).toBe(false)
      expect(policyAllows(policy, form(`${request.key}empty.parquet`), 0)).toBe(false)
      expect(policyAllows(policy, { ...form(`${request.key}x`), acl: "public-read" }, 10)).toBe(false)
    }))

  it.scoped("validators get the validator bucket; a custom endpoint gets path-style URLs", () =>
    Effect.gen(function*() {
      const grants = yield* make({ ...settings, endpoint: "http://127.0.0.1:9000" })
      const grant = yield* grants.grant({
        ...request,
        bucket: "validator-results",
        key: `validators/${hotkey}/2025-10-01T16-00-00/validation_results/1759336626/`,
        keyPrefix: `validators/${hotkey}/`,
        expiresInSeconds: 4 * 3600
      })
      expect(grant.url).toBe("http://127.0.0.1:9000/sn46-validator-results")
      expect(decodePolicy(grant.fields).conditions).toContainEqual(["starts-with", "$key", `validators/${hotkey}/`])
      expect(grant.fields["X-Amz-Signature"]).toBe(sigV4(SECRET, grant.fields["X-Amz-Credential"]!, grant.fields["Policy"]!))
    }))

  it.scoped("refuses a suggested key outside the granted prefix", () =>
    Effect.gen(function*() {
      const grants = yield* make(settings)
      const e = yield* grants.grant({ ...request, key: "data/hotkey=someone-else/" }).pipe(Effect.flip)
      expect(e._tag).toBe("UploadGrantFailed")
    }))
})
