import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Logger, LogLevel } from "effect"
import { SignJWT } from "jose"
import { LogBuffer } from "../../../../apps/ops/logging.js"
import { request, startApp } from "../../../support/http-app.js"
import { completeCeremony } from "../../../support/wallet.js"

const SECRETS = {
  ADMIN_API_KEY: "adm1n-K3y-that-must-never-leak-77",
  GATEWAY_PRIVATE_KEY: "6b9d3a1f0c2e4d5a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
  JWT_SECRET: "jwt-secret-that-is-at-least-32-bytes-long!!",
  EPOCH_SECRET: "epoch-secret-never-logged-42"
}

describe("logs and admin answers carry no secrets", () => {
  it.scoped("secrets, signatures and tokens sent or configured appear in no log line and no admin response", () =>
    Effect.gen(function*() {
      // Logging everything costs CPU; load shedding (apps/http/limits.ts) must not answer in its place.
      const app = yield* startApp({ ...SECRETS, MAX_EVENT_LOOP_DELAY_MS: "60000" })
      const adminHeaders = { "x-admin-key": SECRETS.ADMIN_API_KEY }
      const ceremony = yield* completeCeremony(app.baseUrl, { "x-request-id": "secret-scan" })
      expect(ceremony.status).toBe("completed")

      const token = yield* Effect.promise(() =>
        new SignJWT({ user_id: "usr_alice" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h")
          .sign(new TextEncoder().encode(SECRETS.JWT_SECRET))
      )
      yield* request(app.baseUrl, "GET", "/api/v1/users/osmo1alice/transfers", undefined, { headers: { authorization: `Bearer ${token}` } })
      yield* request(app.baseUrl, "GET", `/admin/alerts?admin_key=${SECRETS.ADMIN_API_KEY}`)
      yield* request(app.baseUrl, "GET", `/admin/alerts?admin_key=${SECRETS.ADMIN_API_KEY}x`)
      // A signature on a route that refuses it still must not be echoed into the logs.
      yield* request(app.baseUrl, "POST", "/sessions/nope/respond", { signature: ceremony.signatures[0], user_pubkey: "00".repeat(32) })

      const answers: Array<string> = []
      for (const path of ["/admin/configuration", "/admin/logs/recent?limit=1000", "/admin/system/info", "/admin/services/status", "/admin/dashboard/summary", "/admin/health/comprehensive"]) {
        const r = yield* request(app.baseUrl, "GET", path, undefined, { headers: adminHeaders })
        expect(r.status, path).toBe(200)
        answers.push(JSON.stringify(r.body))
      }
      const config = JSON.parse(answers[0]!).variables
      for (const name of Object.keys(SECRETS)) expect(config[name], name).toBe("<redacted>")

      const logs = Context.get(app.context, LogBuffer).recent({ limit: 1000, minimumLevel: LogLevel.All }).map((e) => JSON.stringify(e))
      // The scan is only worth something if the requests were logged, with their ids.
      expect(logs.some((l) => l.includes("secret-scan") && l.includes("/signing/ceremony/start"))).toBe(true)
      expect(logs.some((l) => l.includes("/admin/alerts"))).toBe(true)
      const haystack = [...logs, ...answers].join("\n")
      const needles = [...Object.values(SECRETS), SECRETS.GATEWAY_PRIVATE_KEY.toUpperCase(), token, ...ceremony.signatures]
      for (const needle of needles) expect(haystack.includes(needle), needle.slice(0, 12)).toBe(false)
    }).pipe(Logger.withMinimumLogLevel(LogLevel.All)), { timeout: 60_000 })
})
