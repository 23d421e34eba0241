import { api, ApiError, errorText } from "./api.js"
import { field, h, notice, replace, table } from "./dom.js"
import { age, short, time } from "./format.js"
import type { View } from "./main.js"

/*
 * The operator view: ark sessions, ceremonies, VTXO inventory, Lightning,
 * the current epoch, dependency health and alerts, all from public routes
 * (the /admin/* ones with the key typed here, kept in this tab's sessionStorage).
 */

const REFRESH_MS = 10_000
const KEY = "relaygate.console.adminKey"

type Panel = {
  readonly id: string
  readonly title: string
  /** Tables too wide for half the page take the whole row. */
  readonly wide?: boolean
  readonly load: (ctx: Ctx) => Promise<Node | ReadonlyArray<Node>>
}

/** One refresh: the key, and the admin summary fetched once for the panels that read it. */
interface Ctx {
  readonly key: string | null
  readonly summary: Promise<unknown>
}

const adminOnly = async <A>(path: string, key: string | null): Promise<A | Node> => {
  if (key === null) return notice("info", "Enter the admin key above to see this.")
  try {
    return await api<A>(path, { adminKey: key })
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return notice("warn", `Not available: this gateway does not serve ${path} (the admin API is off or not deployed).`)
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return notice("error", "The admin key was refused.")
    throw e
  }
}

/** Unknown-shape summaries (the admin API evolves): scalar figures, one level deep. */
const figures = (o: unknown, prefix = ""): Array<[string, string]> => {
  if (typeof o !== "object" || o === null) return []
  const out: Array<[string, string]> = []
  for (const [k, v] of Object.entries(o)) {
    const name = prefix === "" ? k : `${prefix} › ${k}`
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") out.push([name, String(v)])
    else if (prefix === "" && typeof v === "object" && v !== null && !Array.isArray(v)) out.push(...figures(v, k))
  }
  return out
}

const meter = (available: number, min: number) => {
  const max = Math.max(min * 2, available, 1)
  return h("meter", { min: 0, max, low: min, optimum: max, value: available, "aria-label": `${available} available, minimum ${min}` }, `${available} / ${min}`)
}

/** GET /admin/epochs/current. */
interface AdminEpoch {
  readonly zipcodes: ReadonlyArray<{ zipcode: string; state: string; city: string; expectedListings: number; marketTier: string }>
  readonly miners: ReadonlyArray<{ hotkey: string; status: string; listingsScraped: number | null; zipcodesCompleted: number; updated_at: string }>
}

const PANELS: ReadonlyArray<Panel> = [
  {
    id: "ready",
    wide: true,
    title: "Dependency health",
    load: async () => {
      const r = await api<{ ready: boolean; checks: Record<string, { status: string; adapter: string; detail?: string }> }>("/ready", { acceptStatus: [503] })
      return [
        h("p", {}, "Gateway ", h("span", { class: `badge ${r.ready ? "badge-ok" : "badge-down"}` }, r.ready ? "ready" : "not ready")),
        table("Dependencies", ["Dependency", "Status", "Adapter", "Detail"], Object.entries(r.checks).map(([name, c]) => [
          name,
          h("span", { class: `badge ${c.status === "ok" ? "badge-ok" : "badge-down"}` }, c.status),
          c.adapter,
          c.detail ?? ""
        ]))
      ]
    }
  },
  {
    id: "alerts",
    title: "Alerts",
    load: async ({ key }) => {
      const r = await adminOnly<any>("/admin/alerts", key)
      if (r instanceof Node) return r
      const list: ReadonlyArray<any> = Array.isArray(r) ? r : Array.isArray(r?.alerts) ? r.alerts : Array.isArray(r?.active) ? r.active : []
      return list.length === 0
        ? h("p", { class: "empty" }, "No active alerts.")
        : table("Active alerts", ["Alert", "Severity", "Since", "Message"], list.map((a) => [
          [String(a.rule ?? a.name ?? a.id ?? "alert"), a.subject === undefined ? "" : ` (${String(a.subject)})`],
          h("span", { class: `badge badge-sev-${String(a.severity ?? "info")}` }, String(a.severity ?? "info")),
          time(a.since ?? a.started_at ?? a.timestamp ?? a.created_at ?? null),
          String(a.message ?? a.description ?? "")
        ]))
    }
  },
  {
    id: "summary",
    title: "Dashboard summary",
    load: async ({ summary }) => {
      const r = await summary
      if (r instanceof Node) return r
      const fs = figures(r)
      return fs.length === 0 ? h("p", { class: "empty" }, "The summary has no figures.") : h("dl", { class: "kv grid" }, fs.slice(0, 40).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))
    }
  },
  {
    id: "sessions",
    title: "Ark sessions by state",
    load: async () => {
      const r = await api<{ total: number; active: number; by_status: Record<string, number> }>("/sessions/stats")
      return [
        h("p", {}, `${r.total} sessions, ${r.active} active.`),
        h("ul", { class: "counts" }, Object.entries(r.by_status).map(([s, n]) => h("li", {}, h("span", { class: `badge badge-s-${s}` }, s.replace(/_/g, " ")), ` ${n}`)))
      ]
    }
  },
  {
    id: "ceremonies",
    wide: true,
    title: "Ceremonies in flight",
    load: async () => {
      const r = await api<{ sessions: ReadonlyArray<any>; count: number }>("/sessions?status=signing&limit=50")
      return table("Signing ceremonies in flight", ["Session", "Type", "User", "Steps done", "Started", "Deadline"], r.sessions.map((s) => [
        h("code", { title: s.session_id }, short(s.session_id, 8)),
        s.session_type,
        h("code", { title: s.user_pubkey }, short(s.user_pubkey, 6)),
        s.ceremony === null ? "not started" : `${s.ceremony.completed_steps}/${s.ceremony.total_steps} ${s.ceremony.current_step_name ?? ""}`.trim(),
        time(s.ceremony?.started_at ?? s.updated_at),
        time(s.ceremony?.deadline_at ?? s.expires_at)
      ]), "no ceremony is running.")
    }
  },
  {
    id: "vtxos",
    title: "VTXO inventory",
    wide: true,
    load: async () => {
      const r = await api<{ total_vtxos: number; batches: number; settlements: number; by_asset: ReadonlyArray<any> }>("/vtxos/stats")
      return [
        h("p", {}, `${r.total_vtxos} VTXOs in ${r.batches} batch(es), ${r.settlements} settlement(s).`),
        table("VTXO inventory per asset", ["Asset", "Available vs minimum", "Available", "Assigned", "Spent", "Expired", "Available sats", "State"], r.by_asset.map((a) => [
          h("strong", {}, a.asset_id),
          meter(a.available, a.min_available),
          `${a.available} / min ${a.min_available}`,
          String(a.assigned),
          String(a.spent),
          String(a.expired),
          String(a.available_sats),
          a.needs_replenishment
            ? h("span", { class: "badge badge-down" }, `replenish (${a.recommended_batch})`)
            : h("span", { class: "badge badge-ok" }, "ok")
        ]), "no VTXO batches yet.")
      ]
    }
  },
  {
    id: "lightning",
    title: "Lightning invoices",
    wide: true,
    load: async () => {
      const r = await api<{ invoices: ReadonlyArray<any>; count: number }>("/lightning/invoices?limit=20")
      return table("Latest Lightning invoices", ["Type", "Amount", "Asset", "Status", "Created", "Expires", "Payment hash"], r.invoices.map((i) => [
        i.invoice_type,
        `${i.amount_sats} sats`,
        i.asset_id,
        h("span", { class: `badge badge-i-${i.status}` }, i.status),
        time(i.created_at),
        time(i.expires_at),
        h("code", { title: i.payment_hash }, short(i.payment_hash, 6))
      ]), "no invoices yet.")
    }
  },
  {
    id: "epoch",
    title: "Current epoch",
    load: async ({ key }) => {
      const r = await api<any>("/api/v1/zipcode-assignments/stats")
      const e = r.epochStatus?.currentEpoch
      const parts: Array<Node> = []
      if (e === null || e === undefined) parts.push(h("p", { class: "empty" }, "No epoch is running."))
      else {
        parts.push(h("dl", { class: "kv" },
          h("dt", {}, "Epoch"), h("dd", {}, h("code", {}, e.id)),
          h("dt", {}, "Status"), h("dd", {}, e.status),
          h("dt", {}, "Window"), h("dd", {}, `${time(e.startTime)} → ${time(e.endTime)}`),
          h("dt", {}, "Ends in"), h("dd", {}, age(r.epochStatus.timing?.timeUntilEpochEnd ?? null)),
          h("dt", {}, "Zipcodes"), h("dd", {}, String(e.zipcodeCount)),
          h("dt", {}, "Listings"), h("dd", {}, `${e.actualExpected} expected of ${e.targetListings} targeted`)))
      }
      // The public routes give zipcodes and miner statuses only to signed miners/validators; operators read them from the admin API.
      const admin = await adminOnly<AdminEpoch>("/admin/epochs/current", key)
      if (admin instanceof Node) parts.push(admin)
      else {
        parts.push(table("Zipcodes of this epoch", ["Zipcode", "City", "State", "Tier", "Expected listings"], admin.zipcodes.map((z) => [
          z.zipcode, z.city, z.state, z.marketTier, String(z.expectedListings)
        ]), "no zipcode is assigned."))
        parts.push(table("Miner statuses", ["Miner", "Status", "Listings", "Zipcodes done", "Updated"], admin.miners.map((m) => [
          h("code", { title: m.hotkey }, short(m.hotkey, 6)),
          m.status,
          m.listingsScraped === null ? "—" : String(m.listingsScraped),
          String(m.zipcodesCompleted),
          time(m.updated_at)
        ]), "no miner has reported yet."))
      }
      return parts
    }
  }
]

export const operatorView: View = (root) => {
  let key = sessionStorage.getItem(KEY)
  let timer: number | undefined
  let stopped = false
  const bodies = new Map(PANELS.map((p) => [p.id, h("div", { "aria-live": "polite" })]))
  const updated = h("p", { class: "hint", role: "status" })
  const keyBox = h("section", { "aria-labelledby": "key-h" })

  const drawKey = () => {
    const input = h("input", { type: "password", autocomplete: "off", spellcheck: "false" }) as HTMLInputElement
    replace(
      keyBox,
      h("h3", { id: "key-h" }, "Admin key"),
      key === null
        ? h("form", { class: "inline", onsubmit: (e: Event) => {
          e.preventDefault()
          if (input.value.trim() === "") return
          key = input.value.trim()
          sessionStorage.setItem(KEY, key)
          drawKey()
          void load()
        } }, field("Admin key (X-Admin-Key)", input, "Kept in this browser tab only (session storage); closing the tab forgets it."), h("button", { type: "submit" }, "Use key"))
        : h("div", { class: "inline" }, h("p", {}, "An admin key is set for this tab."), h("button", { type: "button", class: "secondary", onclick: () => {
          key = null
          sessionStorage.removeItem(KEY)
          drawKey()
          void load()
        } }, "Forget key"))
    )
  }

  // A refresh started later wins: an older one still in flight must not paint over it.
  let generation = 0
  const load = async () => {
    window.clearTimeout(timer)
    const mine = ++generation
    const current = () => !stopped && mine === generation
    const ctx: Ctx = { key, summary: adminOnly("/admin/dashboard/summary", key) }
    // A failure is shown by the panel that reads it, not left unhandled.
    ctx.summary.catch(() => {})
    await Promise.all(PANELS.map(async (p) => {
      const body = bodies.get(p.id)!
      try {
        const content = await p.load(ctx)
        if (current()) replace(body, content instanceof Node ? content : [...content])
      } catch (e) {
        if (current()) replace(body, notice("error", `Could not load: ${errorText(e)}`))
      }
    }))
    if (!current()) return
    updated.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000} s`
    timer = window.setTimeout(() => void load(), REFRESH_MS)
  }

  root.append(
    h("h2", { class: "view-title" }, "Operator"),
    h("p", { class: "lead" }, "The gateway's ark, Lightning and epochs state at a glance, from its public API."),
    keyBox,
    h("div", { class: "actions" }, updated, h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Refresh now")),
    h("div", { class: "panels" }, PANELS.map((p) => h("section", { class: p.wide === true ? "panel wide" : "panel", id: `panel-${p.id}`, "aria-labelledby": `${p.id}-h` }, h("h3", { id: `${p.id}-h` }, p.title), bodies.get(p.id)!)))
  )
  drawKey()
  void load()
  return () => {
    stopped = true
    window.clearTimeout(timer)
  }
}
