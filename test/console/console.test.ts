import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import type { Page } from "playwright-core"
import { browser, buildConsole, LOW_CONTRAST, removeBuild, screenshotPath } from "../support/browser.js"
import { ackEvent, recvEvent, route, sendEvent, T0, transferData } from "../support/clearing.js"
import { aliceToken, CHANNEL, clearingServices, NOW, SERVICE, startClearingApp } from "../support/clearing-services.js"
import { eventually } from "../support/eventually.js"

/*
 * The console in a real Chromium against the real app on memory stores, with
 * the clearing tests' fake chains, Chainpulse, Hermes and LCD. Screenshots of
 * every view land in test-results/console/.
 */

const SECRET = "console-browser-test-secret-0123456789abcdef"
const ADMIN_KEY = "console-admin-key-for-tests"
const NOBLE_EXPLORER = "https://www.mintscan.io/noble/tx/{tx_hash}"

const page = <A>(p: Page, f: (p: Page) => Promise<A>) => Effect.promise(() => f(p))

const world = (o: { readonly hermesRefuses?: string } = {}) => Effect.gen(function*() {
  const services = yield* clearingServices(o)
  const app = yield* startClearingApp(services, {
    JWT_SECRET: SECRET,
    ADMIN_API_KEY: ADMIN_KEY,
    CONSOLE_DIR: consoleDir,
    EXPLORER_TX_URL_NOBLE_1: NOBLE_EXPLORER,
    EXPLORER_TX_URL_OSMOSIS_1: "https://www.mintscan.io/osmosis/tx/{tx_hash}"
  })
  const { hermes, noble, osmosis, pay } = services
  const chromium = yield* browser
  const context = yield* Effect.acquireRelease(
    Effect.promise(() => chromium.newContext({ viewport: { width: 1280, height: 900 } })),
    (c) => Effect.promise(() => c.close())
  )
  const tab = yield* Effect.promise(() => context.newPage())
  tab.setDefaultTimeout(30_000)
  const errors: Array<string> = []
  tab.on("pageerror", (e) => errors.push(String(e)))
  return { app, osmosis, noble, hermes, pay, tab, errors, chromium }
})

/** Built once for the file: every test serves the same page. */
let consoleDir = ""
beforeAll(async () => {
  consoleDir = await buildConsole()
}, 180_000)
afterAll(() => removeBuild(consoleDir))

const fetchJson = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const res = await fetch(url, init)
    return { status: res.status, body: await res.json() as any }
  })

describe("the web console in Chromium", () => {
  it.scoped("an IBC user finds a stuck packet, pays for clearing and watches it get cleared", () =>
    Effect.gen(function*() {
      const { app, errors, hermes, noble, osmosis, pay, tab } = yield* world()
      const token = yield* aliceToken(SECRET)

      // Alice: one delivered transfer, one nobody relays, one past its timeout, one about to time out.
      const delivered = route(CHANNEL)
      osmosis.commit([[sendEvent(delivered, { data: transferData({ sender: "osmo1alice", amount: "42000", denom: "uosmo" }) })]])
      noble.commit([[recvEvent(delivered)]])
      const stuck = route(CHANNEL)
      const doomed = route(CHANNEL)
      const closing = route(CHANNEL)
      osmosis.commit([
        [sendEvent(stuck, { data: transferData({ sender: "osmo1alice", receiver: "noble1bob", amount: "2500000", denom: "uosmo" }) })],
        [sendEvent(doomed, { data: transferData({ sender: "osmo1alice", amount: "7", denom: "uatom" }), timeout_timestamp: String(BigInt(T0 + 600_000) * 1_000_000n) })],
        [sendEvent(closing, { data: transferData({ sender: "osmo1alice", amount: "1300", denom: "uusdc" }), timeout_timestamp: String(BigInt(NOW + 1_200_000) * 1_000_000n) })]
      ])
      yield* eventually(fetchJson(`${app.baseUrl}/api/v1/packets/stuck`), (r) => r.body.total >= 1, "stuck packet indexed")
      const stuckId = `osmosis-1-channel-750-${stuck.sequence}`

      yield* page(tab, (p) => p.goto(`${app.baseUrl}/console/#/ibc`))
      yield* page(tab, (p) => p.getByLabel("Access token (JWT)").fill(token))
      yield* page(tab, (p) => p.getByRole("button", { name: "Sign in" }).click())
      yield* page(tab, (p) => p.getByRole("heading", { name: "Signed in" }).waitFor())
      expect(yield* page(tab, (p) => p.evaluate<Array<number>>("[sessionStorage.length, localStorage.length]"))).toEqual([1, 0])
      // The address comes from the token's wallet_address; the user confirms it.
      expect(yield* page(tab, (p) => p.getByLabel("Wallet address").inputValue())).toBe("osmo1alice")
      yield* page(tab, (p) => p.getByRole("button", { name: "Show packets" }).click())
      const box = tab.getByRole("checkbox", { name: `Select packet ${stuckId} for clearing` })
      yield* page(tab, () => box.waitFor())

      const rows = yield* page(tab, (p) => p.locator("tbody tr").allInnerTexts())
      expect(rows).toHaveLength(4)
      const row = (seq: number) => rows.find((r) => r.includes(`#${seq}`)) ?? ""
      expect(row(stuck.sequence)).toMatch(/Stuck[\s\S]*2\u202f500\u202f000 uosmo[\s\S]*osmosis-1 channel-750 → noble-1 channel-1/)
      expect(row(doomed.sequence)).toMatch(/Expired[\s\S]*7 uatom[\s\S]*expired .* ago/)
      expect(row(closing.sequence)).toMatch(/Expiring soon[\s\S]*1\u202f300 uusdc[\s\S]*in 20m/)
      expect(row(delivered.sequence)).toMatch(/Delivered[\s\S]*42\u202f000 uosmo/)
      // Only stuck packets can be picked for clearing.
      expect(yield* page(tab, (p) => p.getByRole("checkbox").count())).toBe(1)
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("ibc-packets"), fullPage: true }))

      // By keyboard: Space ticks the packet, Tab reaches the request button, with a visible focus ring.
      yield* page(tab, () => box.focus())
      yield* page(tab, (p) => p.keyboard.press("Space"))
      expect(yield* page(tab, () => box.isChecked())).toBe(true)
      yield* page(tab, (p) => p.keyboard.press("Tab"))
      const focused = yield* page(tab, (p) =>
        // A string: this file is typed for Node, the expression runs in the page.
        p.evaluate<{ text: string; outline: string }>(
          "({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth })"
        ))
      expect(focused).toEqual({ text: "Request clearing for 1 selected", outline: "solid 3px" })
      yield* page(tab, (p) => p.keyboard.press("Enter"))
      const memo = yield* page(tab, (p) => p.getByTestId("pay-memo").innerText())
      expect(yield* page(tab, (p) => p.getByTestId("pay-to").innerText())).toBe(SERVICE)
      expect(yield* page(tab, (p) => p.getByTestId("pay-amount").innerText())).toBe("500\u202f000 uosmo")
      const clearingToken = yield* page(tab, (p) => p.getByTestId("clearing-token").innerText())
      expect(memo).toBe(clearingToken)
      expect(yield* page(tab, (p) => p.getByLabel("Payment instructions (copy into your wallet)").inputValue())).toContain(`with memo: ${clearingToken}`)
      const qr = yield* page(tab, (p) => p.getByRole("img", { name: `QR code of the payment address ${SERVICE}` }).getAttribute("src"))
      expect(qr).toMatch(/^data:image\/png;base64,/)
      yield* page(tab, (p) => p.getByTestId("clearing-status").and(p.locator("[data-status=awaiting_payment]")).waitFor())
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("ibc-payment"), fullPage: true }))

      // The user pays on the (fake) chain, then hands the page the tx hash.
      const txHash = "CD".repeat(32)
      pay(txHash, `clearing ${clearingToken}`)
      yield* page(tab, (p) => p.getByLabel("Payment transaction hash").fill(txHash))
      yield* page(tab, (p) => p.getByRole("button", { name: "Verify payment" }).click())
      yield* eventually(Effect.sync(() => hermes.requests().filter((r) => r.method === "POST").length), (n) => n === 1, "hermes asked to clear")
      yield* page(tab, (p) => p.locator("[data-testid=clearing-status][data-status=clearing]").waitFor())

      // The chains show the delivery; the page hears it over the WebSocket.
      const [recv] = noble.commit([[recvEvent(stuck)]])
      osmosis.commit([[ackEvent(stuck)]])
      yield* page(tab, (p) => p.locator("[data-testid=clearing-status][data-status=cleared]").waitFor())
      expect(yield* page(tab, (p) => p.getByTestId("clearing-status").innerText())).toBe("cleared")
      const link = tab.getByTestId("explorer-link")
      yield* page(tab, () => link.waitFor())
      expect(yield* page(tab, () => link.getAttribute("href"))).toBe(NOBLE_EXPLORER.replace("{tx_hash}", recv!.hash))
      const history = yield* page(tab, (p) => p.getByRole("list", { name: "Clearing history" }).innerText())
      expect(history).toMatch(/Waiting for your payment[\s\S]*Payment received[\s\S]*Relaying your packets[\s\S]*Cleared/)
      // The list is read again: the cleared packet is delivered and can no longer be picked.
      yield* page(tab, (p) => p.locator("tbody tr").filter({ hasText: `#${stuck.sequence}` }).filter({ hasText: "Delivered" }).waitFor())
      expect(yield* page(tab, (p) => p.getByRole("checkbox").count())).toBe(0)
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("ibc-cleared"), fullPage: true }))
      expect(yield* page(tab, (p) => p.evaluate<Array<string>>(LOW_CONTRAST))).toEqual([])

      // After a reload the tab is still signed in and the clearing can be opened again from the user's list.
      yield* page(tab, (p) => p.reload())
      const list = tab.getByRole("region", { name: "Your recent clearings" })
      yield* page(tab, () => list.getByText(clearingToken).waitFor())
      expect(yield* page(tab, () => list.locator("tbody tr").innerText())).toMatch(/Cleared\s+1\s/)
      yield* page(tab, (p) => p.getByRole("button", { name: `Show clearing ${clearingToken}` }).click())
      yield* page(tab, (p) => p.locator("[data-testid=clearing-status][data-status=cleared]").waitFor())
      yield* page(tab, () => link.waitFor())
      expect(errors).toEqual([])
    }), { timeout: 240_000 })

  it.scoped("a clearing the relayer refuses ends as failed, with the relayer's reason on the page", () =>
    Effect.gen(function*() {
      const { app, errors, hermes, osmosis, pay, tab } = yield* world({ hermesRefuses: "insufficient gas: required 200000, provided 100000" })
      const token = yield* aliceToken(SECRET)
      const stuck = route(CHANNEL)
      osmosis.commit([[sendEvent(stuck, { data: transferData({ sender: "osmo1alice", amount: "900", denom: "uosmo" }) })]])
      yield* eventually(fetchJson(`${app.baseUrl}/api/v1/packets/stuck`), (r) => r.body.total === 1, "stuck packet indexed")

      yield* page(tab, (p) => p.goto(`${app.baseUrl}/console/#/ibc`))
      yield* page(tab, (p) => p.getByLabel("Access token (JWT)").fill(token))
      yield* page(tab, (p) => p.getByRole("button", { name: "Sign in" }).click())
      yield* page(tab, (p) => p.getByRole("button", { name: "Show packets" }).click())
      yield* page(tab, (p) => p.getByRole("checkbox", { name: `Select packet osmosis-1-channel-750-${stuck.sequence} for clearing` }).check())
      yield* page(tab, (p) => p.getByRole("button", { name: "Request clearing for 1 selected" }).click())
      const clearingToken = yield* page(tab, (p) => p.getByTestId("clearing-token").innerText())
      const txHash = "EF".repeat(32)
      pay(txHash, clearingToken, 61)
      // A wrong hash first: the page says why and lets the user try again.
      yield* page(tab, (p) => p.getByLabel("Payment transaction hash").fill("AB".repeat(32)))
      yield* page(tab, (p) => p.getByRole("button", { name: "Verify payment" }).click())
      yield* page(tab, (p) => p.getByText(/^Payment not accepted: /).waitFor())
      yield* page(tab, (p) => p.getByLabel("Payment transaction hash").fill(txHash))
      yield* page(tab, (p) => p.getByRole("button", { name: "Verify payment" }).click())
      yield* eventually(Effect.sync(() => hermes.requests().filter((r) => r.method === "POST").length), (n) => n === 1, "hermes asked to clear")
      yield* page(tab, (p) => p.locator("[data-testid=clearing-status][data-status=failed]").waitFor())
      expect(yield* page(tab, (p) => p.getByRole("status").filter({ hasText: "Status:" }).innerText())).toContain("insufficient gas")
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("ibc-failed"), fullPage: true }))

      // On a phone the same page fits the screen: tables turn into one card per packet.
      yield* page(tab, (p) => p.setViewportSize({ width: 390, height: 844 }))
      expect(yield* page(tab, (p) => p.evaluate<number>("document.documentElement.scrollWidth"))).toBeLessThanOrEqual(390)
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("ibc-phone"), fullPage: true }))
      expect(errors).toEqual([])
    }), { timeout: 240_000 })

  it.scoped("the network view shows Chainpulse's chains, relayers and a chart of stuck packets per channel, on a phone too", () =>
    Effect.gen(function*() {
      const { app, chromium, errors, osmosis, tab } = yield* world()
      const stuck = route({ ...CHANNEL, src_channel: "channel-141", dst_channel: "channel-0" })
      osmosis.commit([[sendEvent(stuck, { data: transferData({ sender: "osmo1carol", amount: "123456789", denom: "uosmo" }) })]])
      yield* eventually(fetchJson(`${app.baseUrl}/api/v1/channels/congestion`), (r) => r.body.channels.length === 1, "stuck packet indexed")
      yield* page(tab, (p) => p.goto(`${app.baseUrl}/console/#/network`))
      yield* page(tab, (p) => p.getByTestId("stuck-total").filter({ hasText: "3177" }).waitFor())
      const bars = yield* page(tab, (p) => p.locator("svg.chart rect").count())
      expect(bars).toBe(12)
      const chart = yield* page(tab, (p) => p.locator("svg.chart title").textContent())
      expect(chart).toMatch(/^Stuck packets per channel, top 12: \S+ channel-\d+ \d+/)
      const chains = yield* page(tab, (p) => p.getByRole("region", { name: "Chains seen by Chainpulse" }).innerText())
      for (const c of ["cosmoshub-4", "neutron-1", "osmosis-1"]) expect(chains).toContain(c)
      expect(yield* page(tab, (p) => p.getByRole("region", { name: "Top relayers by packets relayed" }).locator("tbody tr").count())).toBeGreaterThan(0)
      const onChain = yield* page(tab, (p) => p.getByRole("region", { name: "Stuck packets by channel (chain events)" }).locator("tbody tr").allInnerTexts())
      expect(onChain).toHaveLength(1)
      expect(onChain[0]).toMatch(/osmosis-1\s+channel-141\s+unknown chain channel-0\s+1\s+5\dm \d+s\s+123\u202f456\u202f789 uosmo/)
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("network"), fullPage: true }))
      expect(yield* page(tab, (p) => p.evaluate<Array<string>>(LOW_CONTRAST))).toEqual([])

      // Live: another packet gets stuck on that channel and the page shows it at its next refresh, untouched.
      const another = route({ ...CHANNEL, src_channel: "channel-141", dst_channel: "channel-0" })
      osmosis.commit([[sendEvent(another, { data: transferData({ sender: "osmo1dave", amount: "1", denom: "uosmo" }) })]])
      yield* page(tab, (p) =>
        p.getByRole("region", { name: "Stuck packets by channel (chain events)" }).locator("tbody tr").filter({ hasText: "123\u202f456\u202f790 uosmo" }).waitFor({ timeout: 40_000 }))

      // Keyboard: the nav is reachable and the current view is marked.
      expect(yield* page(tab, (p) => p.getByRole("link", { name: "Network" }).getAttribute("aria-current"))).toBe("page")

      const phone = yield* Effect.acquireRelease(
        Effect.promise(() => chromium.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })),
        (c) => Effect.promise(() => c.close())
      )
      const small = yield* Effect.promise(() => phone.newPage())
      yield* page(small, (p) => p.goto(`${app.baseUrl}/console/#/network`))
      yield* page(small, (p) => p.getByTestId("stuck-total").filter({ hasText: "3177" }).waitFor())
      // Nothing wider than the screen: no sideways scrolling on a phone.
      expect(yield* page(small, (p) => p.evaluate<number>("document.documentElement.scrollWidth"))).toBeLessThanOrEqual(390)
      yield* page(small, (p) => p.screenshot({ path: screenshotPath("network-phone"), fullPage: false }))
      // The phone prefers a dark scheme: contrast holds there too.
      yield* page(small, (p) => p.emulateMedia({ colorScheme: "dark" }))
      expect(yield* page(small, (p) => p.evaluate<Array<string>>(LOW_CONTRAST))).toEqual([])
      yield* page(small, (p) => p.screenshot({ path: screenshotPath("network-phone-dark"), fullPage: false }))

      const noJs = yield* Effect.acquireRelease(
        Effect.promise(() => chromium.newContext({ javaScriptEnabled: false })),
        (c) => Effect.promise(() => c.close())
      )
      const plain = yield* Effect.promise(() => noJs.newPage())
      yield* page(plain, (p) => p.goto(`${app.baseUrl}/console/`))
      expect(yield* page(plain, (p) => p.getByRole("alert").innerText())).toContain("This console needs JavaScript")
      yield* page(plain, (p) => p.screenshot({ path: screenshotPath("no-javascript") }))
      expect(errors).toEqual([])
    }), { timeout: 240_000 })

  it.scoped("the operator view shows a VTXO batch created through the API, with the admin key kept in session storage", () =>
    Effect.gen(function*() {
      const { app, errors, tab } = yield* world()
      const btcOf = (stats: any) => stats.by_asset.find((a: any) => a.asset_id === "BTC")
      const before = (yield* fetchJson(`${app.baseUrl}/vtxos/stats`)).body
      const batch = yield* fetchJson(`${app.baseUrl}/vtxos/batch/create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ asset_id: "BTC", count: 12, amount_sats: 5_000 })
      })
      expect(batch.status).toBe(201)
      const after = (yield* fetchJson(`${app.baseUrl}/vtxos/stats`)).body
      const lift = yield* fetchJson(`${app.baseUrl}/lightning/lift`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_pubkey: bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey())), amount_sats: 21_000 })
      })
      expect(lift.status).toBe(201)

      // A signing ceremony driven step by step, stopped after two of six steps: in flight.
      const post = (path: string, body: unknown) =>
        fetchJson(`${app.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      const senderKey = schnorr.utils.randomSecretKey()
      const sender = bytesToHex(schnorr.getPublicKey(senderKey))
      expect((yield* post("/assets/BTC/mint", { user_pubkey: sender, amount: 1_000_000 })).status).toBe(200)
      const session = yield* post("/sessions/create", {
        user_pubkey: sender,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey())), amount: 10_000, asset_id: "BTC" }
      })
      const sessionId: string = session.body.session_id
      const challenge = yield* post(`/sessions/${sessionId}/challenge`, {})
      const signature = bytesToHex(schnorr.sign(sha256(new TextEncoder().encode(challenge.body.challenge_data)), senderKey))
      expect((yield* post(`/sessions/${sessionId}/respond`, { signature, user_pubkey: sender })).status).toBe(200)
      expect((yield* post("/signing/ceremony/start", { session_id: sessionId, auto_execute: false })).body.status).toBe("running")
      for (const step of [1, 2]) expect((yield* post(`/signing/ceremony/${sessionId}/step/${step}`, {})).status).toBe(200)
      // The ceremony took a VTXO from the inventory: the page shows the figures as they are now.
      const now = btcOf((yield* fetchJson(`${app.baseUrl}/vtxos/stats`)).body)
      expect(now.assigned).toBe((btcOf(before)?.assigned ?? 0) + 1)
      const available = (btcOf(before)?.available ?? 0) + 12
      expect(btcOf(after).available).toBe(available)

      yield* page(tab, (p) => p.goto(`${app.baseUrl}/console/#/operator`))
      yield* page(tab, (p) => p.getByText("Enter the admin key above to see this.").first().waitFor())
      // A wrong key is refused by the admin API and the page says so; the public panels do not need it.
      yield* page(tab, (p) => p.getByLabel("Admin key (X-Admin-Key)").fill("not-the-key"))
      yield* page(tab, (p) => p.getByRole("button", { name: "Use key" }).click())
      yield* page(tab, (p) => p.locator("#panel-alerts").getByText("The admin key was refused.").waitFor())
      yield* page(tab, (p) => p.getByRole("button", { name: "Forget key" }).click())
      yield* page(tab, (p) => p.getByLabel("Admin key (X-Admin-Key)").fill(ADMIN_KEY))
      yield* page(tab, (p) => p.getByRole("button", { name: "Use key" }).click())
      const inventory = tab.getByRole("region", { name: "VTXO inventory per asset" })
      yield* page(tab, () => inventory.locator("tbody tr").first().waitFor())
      const btc = yield* page(tab, () => inventory.locator("tbody tr").filter({ hasText: "BTC" }).innerText())
      expect(btc).toContain(`${now.available} / min 10`)
      expect(btc).toContain(String(now.available_sats))
      expect(btc).toMatch(new RegExp(`/ min 10\\s+${now.assigned}\\s`))
      expect(yield* page(tab, (p) => p.locator("#panel-vtxos").innerText())).toContain(`${after.total_vtxos} VTXOs in ${before.batches + 1} batch(es)`)
      const invoices = yield* page(tab, (p) => p.getByRole("region", { name: "Latest Lightning invoices" }).locator("tbody tr").allInnerTexts())
      expect(invoices).toEqual([expect.stringMatching(new RegExp(`^lift\\s+21000 sats\\s+BTC\\s+${lift.body.status}`))])
      const ceremonies = yield* page(tab, (p) => p.getByRole("region", { name: "Signing ceremonies in flight" }).locator("tbody tr").allInnerTexts())
      expect(ceremonies).toEqual([expect.stringMatching(new RegExp(`^${sessionId.slice(0, 8)}…\\S*\\s+p2p_transfer\\s+${sender.slice(0, 6)}…\\S+\\s+2/6 `))])
      expect(yield* page(tab, (p) => p.locator("#panel-sessions").innerText())).toMatch(/1 sessions, 1 active/)
      // The admin API answers with the key: live figures, and the alerts firing now (if any).
      const summary = yield* page(tab, (p) => p.locator("#panel-summary").innerText())
      expect(summary).toMatch(/sessions › total\s+1\b/)
      expect(summary).toMatch(/invoices › total\s+1\b/)
      expect(yield* page(tab, (p) => p.locator("#panel-alerts").innerText())).toMatch(/No active alerts\.|Active alerts/)
      const ready = yield* page(tab, (p) => p.locator("#panel-ready").innerText())
      expect(ready).toMatch(/Gateway\s+(ready|not ready)/)
      // The epoch's zipcodes come from the admin API: the page shows the ones the gateway assigned.
      const epoch = (yield* fetchJson(`${app.baseUrl}/admin/epochs/current`, { headers: { "x-admin-key": ADMIN_KEY } })).body
      expect(epoch.zipcodes.length).toBeGreaterThan(0)
      const zipRows = tab.getByRole("region", { name: "Zipcodes of this epoch" }).locator("tbody tr")
      yield* page(tab, () => zipRows.first().waitFor())
      expect(yield* page(tab, () => zipRows.count())).toBe(epoch.zipcodes.length)
      expect(yield* page(tab, () => zipRows.first().innerText())).toMatch(new RegExp(`^${epoch.zipcodes[0].zipcode}\\s+${epoch.zipcodes[0].city}`))
      expect(yield* page(tab, (p) => p.locator("#panel-epoch").innerText())).toContain("Miner statuses: no miner has reported yet.")
      expect(yield* page(tab, (p) => p.evaluate<Array<string | number | null>>("[sessionStorage.getItem('relaygate.console.adminKey'), localStorage.length]"))).toEqual([ADMIN_KEY, 0])
      yield* page(tab, (p) => p.screenshot({ path: screenshotPath("operator"), fullPage: true }))
      expect(yield* page(tab, (p) => p.evaluate<Array<string>>(LOW_CONTRAST))).toEqual([])
      expect(errors).toEqual([])
    }), { timeout: 240_000 })
})
