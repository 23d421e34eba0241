import QRCode from "qrcode"
import { api, errorText } from "./api.js"
import { field, h, notice, replace, table } from "./dom.js"
import { age, amount, time } from "./format.js"
import type { View } from "./main.js"

/*
 * The IBC user's view: sign in with a token, list the wallet's packets, pay
 * for clearing stuck ones and follow the clearing over /api/v1/ws.
 */

interface TxRef {
  readonly chain_id: string
  readonly tx_hash: string
}

interface Packet {
  readonly id: string
  readonly chain_id: string
  readonly sequence: number
  readonly src_channel: string
  readonly dst_channel: string
  readonly dst_chain_id: string | null
  readonly status: "pending" | "delivered" | "expired"
  readonly sender: string | null
  readonly receiver: string | null
  readonly amount: string | null
  readonly denom: string | null
  readonly age_seconds: number
  readonly expires_in_seconds: number | null
  readonly seconds_since_timeout: number | null
  readonly received: TxRef | null
  readonly acknowledged: TxRef | null
}

interface Clearing {
  readonly token: string
  readonly status: string
  readonly chain_id: string
  readonly packets: ReadonlyArray<string>
  readonly fees: { readonly total: string; readonly denom: string; readonly per_packet: string } | null
  readonly payment_address: string | null
  readonly memo: string | null
  readonly expires_at: string | null
  readonly payment: { readonly received: boolean; readonly tx_hash: string | null }
  readonly execution: { readonly delivery_tx_hashes: ReadonlyArray<string>; readonly packets_cleared: number } | null
  readonly failure_reason: string | null
  readonly refund_tx_hash: string | null
  readonly updated_at: string
}

/** Pending this long counts as stuck (Chainpulse's default `min_age_seconds`). */
const STUCK_AFTER_SECONDS = 900
const EXPIRING_WITHIN_SECONDS = 3_600
const TERMINAL = new Set(["cleared", "failed", "refunded"])
const TOKEN_KEY = "relaygate.console.jwt"

type Kind = "stuck" | "expiring" | "pending" | "expired" | "delivered"

const kindOf = (p: Packet): Kind =>
  p.status === "delivered"
    ? "delivered"
    : p.status === "expired"
    ? "expired"
    : p.expires_in_seconds !== null && p.expires_in_seconds <= EXPIRING_WITHIN_SECONDS
    ? "expiring"
    : p.age_seconds >= STUCK_AFTER_SECONDS
    ? "stuck"
    : "pending"

const KIND_LABEL: Record<Kind, string> = {
  stuck: "Stuck",
  expiring: "Expiring soon",
  pending: "In flight",
  expired: "Expired",
  delivered: "Delivered"
}

const STATUS_TEXT: Record<string, string> = {
  requested: "Requested",
  awaiting_payment: "Waiting for your payment",
  paid: "Payment received",
  clearing: "Relaying your packets",
  cleared: "Cleared",
  failed: "Failed",
  refunded: "Refunded"
}

/** The claims of a JWT, read without checking it (the gateway checks it on every call). */
const claimsOf = (token: string): Record<string, unknown> => {
  try {
    const part = token.replace(/^Bearer\s+/i, "").trim().split(".")[1] ?? ""
    return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>
  } catch {
    return {}
  }
}

/** `osmosis-1-channel-750-1001` → its parts (chain ids contain dashes, so from the end). */
const parsePacketId = (id: string) => {
  const m = /^(.+)-(channel-\d+)-(\d+)$/.exec(id)
  return m === null ? null : { chain_id: m[1]!, channel: m[2]!, sequence: Number(m[3]) }
}

let explorers: Promise<Record<string, string>> | null = null
const explorerPatterns = () =>
  (explorers ??= api<{ explorers: Record<string, string> }>("/console/config.json").then((c) => c.explorers, (): Record<string, string> => ({})))

export const ibcView: View = (root) => {
  let token = sessionStorage.getItem(TOKEN_KEY)
  let packets: ReadonlyArray<Packet> = []
  const selected = new Set<string>()
  let socket: WebSocket | null = null
  let stopped = false
  let reconnect: number | undefined
  let current: Clearing | null = null
  const history: Array<{ status: string; at: string }> = []

  const signIn = h("section", { "aria-labelledby": "signin-h" })
  const lookup = h("section", { "aria-labelledby": "packets-h" })
  const clearing = h("section", { "aria-labelledby": "clearing-h", hidden: true })
  const mine = h("section", { "aria-labelledby": "mine-h", hidden: true })
  root.append(
    h("h2", { class: "view-title" }, "My IBC packets"),
    h("p", { class: "lead" }, "Find your transfers, see which are stuck, and pay to have them relayed. You can follow the clearing here until it is done."),
    signIn,
    mine,
    lookup,
    clearing
  )

  // ------------------------------------------------------------------ sign-in
  const drawSignIn = (message?: Node) => {
    const claims = token === null ? {} : claimsOf(token)
    if (token !== null) {
      replace(
        signIn,
        h("h3", { id: "signin-h" }, "Signed in"),
        h("p", {}, "User ", h("strong", {}, String(claims["user_id"] ?? claims["sub"] ?? "unknown")),
          typeof claims["wallet_address"] === "string" ? [" · wallet ", h("code", {}, claims["wallet_address"])] : null),
        message ?? null,
        h("button", {
          type: "button",
          class: "secondary",
          onclick: () => {
            token = null
            sessionStorage.removeItem(TOKEN_KEY)
            drawSignIn()
            drawLookup()
            void loadMine()
          }
        }, "Sign out")
      )
      return
    }
    const input = h("textarea", { rows: 3, autocomplete: "off", spellcheck: "false", required: true }) as HTMLTextAreaElement
    replace(
      signIn,
      h("h3", { id: "signin-h" }, "Sign in"),
      h("p", {}, "Paste the access token (a JWT) you were given for this gateway. It is kept in this tab only and sent to the gateway, nowhere else."),
      h("p", { class: "hint" }, "Signing in with a wallet (Keplr) is not offered: this gateway accepts only tokens it issued and has no way to check a wallet signature."),
      message ?? null,
      h(
        "form",
        {
          onsubmit: async (e: Event) => {
            e.preventDefault()
            const candidate = input.value.trim().replace(/^Bearer\s+/i, "")
            if (candidate === "") return drawSignIn(notice("error", "Paste a token first."))
            try {
              // Any protected route tells whether the gateway accepts the token.
              await api("/api/v1/clearing/operations", { token: candidate })
              token = candidate
              sessionStorage.setItem(TOKEN_KEY, candidate)
              drawSignIn()
              drawLookup()
              void loadMine()
            } catch (err) {
              drawSignIn(notice("error", `The gateway did not accept this token: ${errorText(err)}`))
            }
          }
        },
        field("Access token (JWT)", input),
        h("button", { type: "submit" }, "Sign in")
      )
    )
  }

  /** Clearings this user started before (another tab, a reload): any can be followed again. */
  const loadMine = async () => {
    if (token === null) {
      mine.hidden = true
      return
    }
    try {
      const r = await api<{ operations: ReadonlyArray<Clearing> }>("/api/v1/clearing/operations", { token })
      const list = [...r.operations].sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, 10)
      mine.hidden = list.length === 0
      replace(mine, h("h3", { id: "mine-h" }, "Your clearings"), table("Your recent clearings", ["Token", "Status", "Packets", "Updated", "Action"], list.map((c) => [
        h("code", {}, c.token),
        h("span", { class: `badge badge-c-${c.status}` }, STATUS_TEXT[c.status] ?? c.status),
        String(c.packets.length),
        time(c.updated_at),
        current?.token === c.token
          ? "shown below"
          : h("button", { type: "button", class: "secondary", "aria-label": `Show clearing ${c.token}`, onclick: () => {
            disconnect()
            history.length = 0
            clearing.hidden = false
            follow(c)
            clearing.querySelector<HTMLElement>("#clearing-h")?.focus()
          } }, "Show")
      ])))
    } catch {
      // the list is a convenience; the rest of the page works without it
      mine.hidden = true
    }
  }

  // ------------------------------------------------------------------ packets
  const addressInput = h("input", { type: "text", autocomplete: "off", spellcheck: "false", inputmode: "text", required: true }) as HTMLInputElement
  const packetsOut = h("div", { "aria-live": "polite" })
  const drawLookup = () => {
    const claims = token === null ? {} : claimsOf(token)
    if (addressInput.value === "" && typeof claims["wallet_address"] === "string") addressInput.value = claims["wallet_address"]
    replace(
      lookup,
      h("h3", { id: "packets-h" }, "Your packets"),
      token === null
        ? notice("info", "Sign in above to look up a wallet's packets.")
        : h(
          "form",
          { class: "inline", onsubmit: (e: Event) => {
            e.preventDefault()
            void loadPackets()
          } },
          field("Wallet address", addressInput, "The sender or receiver address, e.g. osmo1…"),
          h("button", { type: "submit" }, "Show packets")
        ),
      packetsOut
    )
  }

  const loadPackets = async () => {
    const address = addressInput.value.trim()
    if (address === "" || token === null) return
    replace(packetsOut, h("p", {}, "Loading packets…"))
    try {
      const r = await api<{ packets: ReadonlyArray<Packet>; total: number }>(
        `/api/v1/packets/by-user?address=${encodeURIComponent(address)}&limit=500`,
        { token }
      )
      packets = r.packets
      for (const id of [...selected]) if (!packets.some((p) => p.id === id && kindOf(p) === "stuck")) selected.delete(id)
      drawPackets()
    } catch (err) {
      replace(packetsOut, notice("error", `Could not load the packets: ${errorText(err)}`))
    }
  }

  const drawPackets = () => {
    const counts: Record<Kind, number> = { stuck: 0, expiring: 0, pending: 0, expired: 0, delivered: 0 }
    for (const p of packets) counts[kindOf(p)]++
    const order: ReadonlyArray<Kind> = ["stuck", "expiring", "pending", "expired", "delivered"]
    const sorted = [...packets].sort((a, b) => order.indexOf(kindOf(a)) - order.indexOf(kindOf(b)) || b.age_seconds - a.age_seconds)
    const requestButton = h("button", { type: "button", disabled: selected.size === 0, onclick: () => void requestClearing() },
      `Request clearing for ${selected.size} selected`) as HTMLButtonElement
    const rows = sorted.map((p) => {
      const kind = kindOf(p)
      const box = kind === "stuck"
        ? h("input", {
          type: "checkbox",
          "aria-label": `Select packet ${p.id} for clearing`,
          checked: selected.has(p.id),
          onchange: (e: Event) => {
            if ((e.target as HTMLInputElement).checked) selected.add(p.id)
            else selected.delete(p.id)
            requestButton.disabled = selected.size === 0
            requestButton.textContent = `Request clearing for ${selected.size} selected`
          }
        })
        : null
      const timeout = p.seconds_since_timeout !== null
        ? `expired ${age(p.seconds_since_timeout)} ago`
        : p.expires_in_seconds !== null
        ? `in ${age(p.expires_in_seconds)}`
        : "none"
      return [
        box,
        h("span", { class: `badge badge-${kind}` }, KIND_LABEL[kind]),
        h("strong", { class: "amount" }, amount(p.amount, p.denom)),
        h("span", {}, `${p.chain_id} ${p.src_channel} → ${p.dst_chain_id ?? "unknown chain"} ${p.dst_channel}`),
        `#${p.sequence}`,
        age(p.age_seconds),
        timeout
      ]
    })
    replace(
      packetsOut,
      h("ul", { class: "counts", "aria-label": "Packets by state" },
        order.map((k) => h("li", {}, h("span", { class: `badge badge-${k}` }, KIND_LABEL[k]), ` ${counts[k]}`))),
      table("Packets of this wallet", ["Select", "State", "Amount", "Route", "Sequence", "Age", "Timeout"], rows, "no packets found for this address."),
      counts.stuck > 0 ? h("div", { class: "actions" }, requestButton) : null
    )
  }

  // ----------------------------------------------------------------- clearing
  const requestClearing = async () => {
    if (token === null || selected.size === 0) return
    const refs = [...selected].map(parsePacketId).filter((x) => x !== null)
    clearing.hidden = false
    replace(clearing, h("h3", { id: "clearing-h", tabindex: -1 }, "Clearing"), h("p", {}, "Asking the gateway for a quote…"))
    try {
      const r = await api<Clearing>("/api/v1/clearing/request-token", {
        method: "POST",
        token,
        body: { packets: refs.map((p) => ({ chain_id: p.chain_id, channel: p.channel, sequence: p.sequence })), wallet_address: addressInput.value.trim() }
      })
      history.length = 0
      follow(r)
      void loadMine()
    } catch (err) {
      replace(clearing, h("h3", { id: "clearing-h", tabindex: -1 }, "Clearing"), notice("error", `The gateway refused the clearing request: ${errorText(err)}`))
    }
    clearing.querySelector<HTMLElement>("#clearing-h")?.focus()
  }

  const statusBox = h("div", { class: "status", role: "status", "aria-live": "polite" })
  const timeline = h("ol", { class: "timeline", "aria-label": "Clearing history" })
  const links = h("div", {})
  const paymentBox = h("div", {})

  const follow = (c: Clearing) => {
    current = c
    record(c.status, c.updated_at)
    replace(clearing, h("h3", { id: "clearing-h", tabindex: -1 }, "Clearing"), h("p", {}, "Token ", h("code", { "data-testid": "clearing-token" }, c.token)),
      paymentBox, statusBox, timeline, links)
    drawPayment(c)
    drawStatus(c)
    if (!TERMINAL.has(c.status)) connect()
  }

  const drawPayment = (c: Clearing) => {
    if (c.fees === null || c.payment_address === null) return replace(paymentBox)
    const payText = `Send ${c.fees.total} ${c.fees.denom}\nto ${c.payment_address}\nwith memo: ${c.memo ?? c.token}\non ${c.chain_id}`
    const copyArea = h("textarea", { readonly: true, rows: 4, class: "copy" }, payText) as HTMLTextAreaElement
    const copied = h("span", { role: "status", class: "hint" })
    const qr = h("img", { class: "qr", alt: `QR code of the payment address ${c.payment_address}`, width: 180, height: 180 })
    void QRCode.toDataURL(c.payment_address, { margin: 1, width: 360, errorCorrectionLevel: "M" }).then((url) => qr.setAttribute("src", url))
    const txInput = h("input", { type: "text", autocomplete: "off", spellcheck: "false", pattern: "[0-9A-Fa-f]{64}", required: true }) as HTMLInputElement
    const verifyOut = h("div", { "aria-live": "polite" })
    replace(
      paymentBox,
      h("h4", {}, "Payment instructions"),
      h("div", { class: "pay" },
        h("dl", { class: "kv" },
          h("dt", {}, "Pay to"), h("dd", {}, h("code", { "data-testid": "pay-to" }, c.payment_address)),
          h("dt", {}, "Amount"), h("dd", {}, h("strong", { "data-testid": "pay-amount" }, amount(c.fees.total, c.fees.denom)),
            ` (${amount(c.fees.per_packet, c.fees.denom)} per packet × ${c.packets.length})`),
          h("dt", {}, "Memo"), h("dd", {}, h("code", { "data-testid": "pay-memo" }, c.memo ?? c.token)),
          h("dt", {}, "Chain"), h("dd", {}, c.chain_id),
          h("dt", {}, "Quote valid until"), h("dd", {}, time(c.expires_at))),
        h("figure", {}, qr, h("figcaption", {}, "Scan to get the address; enter the amount and memo as shown."))),
      field("Payment instructions (copy into your wallet)", copyArea),
      h("button", {
        type: "button",
        class: "secondary",
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(payText)
            copied.textContent = "Copied."
          } catch {
            copyArea.select()
            copied.textContent = "Select the text and copy it (your browser refused clipboard access)."
          }
        }
      }, "Copy instructions"),
      copied,
      c.payment.received
        ? h("p", {}, "Payment ", h("code", {}, c.payment.tx_hash ?? ""), " received.")
        : h("form", {
          class: "inline",
          onsubmit: async (e: Event) => {
            e.preventDefault()
            if (token === null || current === null) return
            replace(verifyOut, h("p", {}, "Checking the payment on chain…"))
            try {
              const r = await api<Clearing>("/api/v1/clearing/verify-payment", { method: "POST", token, body: { token: current.token, tx_hash: txInput.value.trim() } })
              replace(verifyOut)
              update(r)
            } catch (err) {
              replace(verifyOut, notice("error", `Payment not accepted: ${errorText(err)}`))
            }
          }
        }, field("Payment transaction hash", txInput, "After paying, paste the hash of your payment transaction (64 hex characters)."),
          h("button", { type: "submit" }, "Verify payment")),
      verifyOut
    )
  }

  const record = (status: string, at: string) => {
    if (history.at(-1)?.status !== status) history.push({ status, at })
    replace(timeline, history.map((e) => h("li", {}, h("span", { class: `badge badge-c-${e.status}` }, STATUS_TEXT[e.status] ?? e.status), ` ${time(e.at)}`)))
  }

  const drawStatus = (c: Clearing) => {
    replace(
      statusBox,
      h("p", { class: "big" }, "Status: ", h("strong", { "data-testid": "clearing-status", "data-status": c.status, class: `badge badge-c-${c.status}` }, c.status === "cleared" ? "cleared" : STATUS_TEXT[c.status] ?? c.status)),
      c.status === "cleared" ? h("p", {}, `All ${c.packets.length} packet(s) were delivered.`) : null,
      c.failure_reason === null ? null : notice("error", `Reason: ${c.failure_reason}`),
      c.refund_tx_hash === null ? null : h("p", {}, "Refund transaction ", h("code", {}, c.refund_tx_hash))
    )
    if (c.status === "cleared") void drawLinks(c)
  }

  /** The delivery txs, each on the chain the packet data says it was seen on, linked to that chain's explorer. */
  const drawLinks = async (c: Clearing) => {
    const patterns = await explorerPatterns()
    const hashes = c.execution?.delivery_tx_hashes ?? []
    const chainOf = new Map<string, string>()
    await Promise.all(c.packets.map(async (id) => {
      const ref = parsePacketId(id)
      if (ref === null) return
      try {
        const r = await api<{ packet: Packet }>(`/api/v1/packets/${encodeURIComponent(ref.chain_id)}/${ref.channel}/${ref.sequence}`)
        for (const s of [r.packet.received, r.packet.acknowledged]) if (s !== null) chainOf.set(s.tx_hash, s.chain_id)
      } catch {
        // the link falls back to the bare hash
      }
    }))
    replace(links, h("h4", {}, "Delivery transactions"), h("ul", {}, hashes.map((hash) => {
      const chain = chainOf.get(hash)
      const pattern = chain === undefined ? undefined : patterns[chain]
      return h("li", {}, pattern === undefined
        ? [h("code", {}, hash), chain === undefined ? "" : ` on ${chain} (no explorer configured for this chain)`]
        : h("a", { href: pattern.replace("{tx_hash}", encodeURIComponent(hash)), target: "_blank", rel: "noopener noreferrer", "data-testid": "explorer-link" },
          `View ${hash.slice(0, 12)}… on ${chain}'s explorer`))
    })))
  }

  const update = (c: Clearing) => {
    const paidNow = current !== null && !current.payment.received && c.payment.received
    current = c
    record(c.status, c.updated_at)
    if (paidNow) drawPayment(c)
    drawStatus(c)
    if (TERMINAL.has(c.status)) {
      disconnect()
      // The cleared packets are delivered now; the lists show it.
      void loadPackets()
      void loadMine()
    }
  }

  const refresh = async () => {
    if (token === null || current === null) return
    try {
      update(await api<Clearing>(`/api/v1/clearing/status/${encodeURIComponent(current.token)}`, { token }))
    } catch {
      // the next push or reconnect refreshes again
    }
  }

  // --------------------------------------------------------------- websocket
  const connect = () => {
    if (socket !== null || token === null || stopped) return
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/ws`)
    socket = ws
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: `Bearer ${token}` }))
    ws.onmessage = (ev) => {
      let m: any
      try {
        m = JSON.parse(String(ev.data))
      } catch {
        return
      }
      if (m.type === "authenticated") ws.send(JSON.stringify({ type: "subscribe", topics: ["clearing_status"] }))
      else if (m.type === "subscribed") void refresh() // anything that happened before the subscription
      else if (m.type === "ping") ws.send(JSON.stringify({ type: "pong" }))
      else if (m.type === "clearing_status" && current !== null && m.data?.token_id === current.token) {
        record(m.data.status, m.data.timestamp)
        void refresh()
      }
    }
    ws.onclose = (ev) => {
      socket = null
      if (ev.code === 4401) {
        // The gateway no longer accepts the token (expired): retrying cannot help.
        statusBox.append(notice("error", "Live updates stopped: the gateway no longer accepts your token. Sign in again to follow this clearing."))
        return
      }
      if (!stopped && current !== null && !TERMINAL.has(current.status)) {
        // Back on the socket soon; a status read covers what was missed meanwhile.
        reconnect = window.setTimeout(() => {
          connect()
          void refresh()
        }, 2_000)
      }
    }
  }

  const disconnect = () => {
    window.clearTimeout(reconnect)
    const ws = socket
    socket = null
    ws?.close()
  }

  drawSignIn()
  drawLookup()
  void loadMine()
  return () => {
    stopped = true
    disconnect()
  }
}
