import { api, errorText } from "./api.js"
import { h, notice, replace, svg, table } from "./dom.js"
import { age, amount, percent, short, time } from "./format.js"
import type { View } from "./main.js"

/*
 * The network view: Chainpulse's metrics (chains, channels, relayers, stuck
 * counts) and the stuck packets seen in the chains' own events, polled.
 */

const REFRESH_MS = 15_000

interface Monitoring {
  readonly chains: ReadonlyArray<{ chain_id: string; errors: number | null; packets_total: number | null; txs_total: number | null; reconnects: number | null }>
  readonly channels: ReadonlyArray<{ src: string; src_channel: string; dst_channel: string; effected: number; uneffected: number; total_packets: number; success_rate: number | null; packets_pending: number | null }>
  readonly top_relayers: ReadonlyArray<{ address: string; memo: string; chains: ReadonlyArray<string>; packets_relayed: number; uneffected: number; frontrun: number; success_rate: number | null }>
  readonly stuck_total: number
  readonly chains_monitored: number | null
  readonly timestamp: string
}

interface MetricsCongestion {
  readonly channels: ReadonlyArray<{ src_chain: string; dst_chain: string | null; channel_id: string; dst_channel: string | null; pending_packets: number; oldest_packet_age_seconds: number | null; congestion_level: "low" | "medium" | "high" }>
}

interface EventCongestion {
  readonly channels: ReadonlyArray<{ chain_id: string; src_channel: string; dst_channel: string; dst_chain_id: string | null; stuck_count: number; oldest_stuck_age_seconds: number; total_value: Record<string, string> }>
}

/** Horizontal bars, one per channel; the table next to it carries the same numbers for screen readers. */
const chart = (rows: ReadonlyArray<{ label: string; value: number; level: string }>) => {
  const barH = 22
  const gap = 6
  const labelW = 190
  const width = 640
  const max = Math.max(1, ...rows.map((r) => r.value))
  const height = rows.length * (barH + gap) + gap
  const plot = width - labelW - 70
  return svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-labelledby": "chart-title", preserveAspectRatio: "xMinYMin meet" },
    svg("title", { id: "chart-title" }, `Stuck packets per channel, top ${rows.length}: ${rows.map((r) => `${r.label} ${r.value}`).join(", ")}`),
    ...rows.map((r, i) => {
      const y = gap + i * (barH + gap)
      const w = Math.max(2, Math.round((r.value / max) * plot))
      return svg(
        "g",
        { class: `bar bar-${r.level}` },
        svg("text", { x: labelW - 8, y: y + barH * 0.7, "text-anchor": "end", class: "chart-label" }, r.label),
        svg("rect", { x: labelW, y, width: w, height: barH, rx: 3 }),
        svg("text", { x: labelW + w + 6, y: y + barH * 0.7, class: "chart-value" }, String(r.value))
      )
    })
  )
}

export const networkView: View = (root) => {
  const status = h("p", { class: "hint", role: "status" }, "Loading…")
  const out = h("div", {})
  let timer: number | undefined
  let stopped = false

  // A refresh started later wins over an older one still in flight.
  let generation = 0
  const load = async () => {
    window.clearTimeout(timer)
    const mine = ++generation
    const [monitoring, metrics, events] = await Promise.allSettled([
      api<Monitoring>("/api/monitoring/data"),
      api<MetricsCongestion>("/api/v1/chainpulse/channels/congestion"),
      api<EventCongestion>("/api/v1/channels/congestion")
    ])
    if (stopped || mine !== generation) return
    const parts: Array<Node> = []
    if (monitoring.status === "fulfilled") {
      const m = monitoring.value
      parts.push(h("ul", { class: "cards", "aria-label": "Summary" },
        h("li", {}, h("span", { class: "figure" }, String(m.chains_monitored ?? m.chains.length)), "chains monitored"),
        h("li", {}, h("span", { class: "figure", "data-testid": "stuck-total" }, String(m.stuck_total)), "stuck packets (Chainpulse)"),
        h("li", {}, h("span", { class: "figure" }, String(m.channels.length)), "active channels"),
        h("li", {}, h("span", { class: "figure" }, String(m.top_relayers.length)), "relayers seen")))
      if (m.chains.length === 0) parts.push(notice("info", "No Chainpulse data: the gateway has no CHAINPULSE_URL, or Chainpulse has not been scraped yet."))
    } else {
      parts.push(notice("error", `Chainpulse monitoring is unavailable: ${errorText(monitoring.reason)}`))
    }

    if (metrics.status === "fulfilled") {
      const top = [...metrics.value.channels].sort((a, b) => b.pending_packets - a.pending_packets).filter((c) => c.pending_packets > 0)
      parts.push(h("section", { "aria-labelledby": "chart-h" },
        h("h3", { id: "chart-h" }, "Stuck packets per channel"),
        top.length === 0
          ? h("p", { class: "empty" }, "No channel has stuck packets.")
          : h("figure", { class: "chart-wrap" },
            chart(top.slice(0, 12).map((c) => ({ label: `${c.src_chain} ${c.channel_id}`, value: c.pending_packets, level: c.congestion_level }))),
            h("figcaption", {}, `Top ${Math.min(12, top.length)} of ${top.length} congested channels, from Chainpulse's ibc_stuck_packets.`)),
        table("Channel congestion (Chainpulse)", ["Chain", "Channel", "Counterparty", "Stuck", "Oldest", "Level"], top.slice(0, 25).map((c) => [
          c.src_chain,
          c.channel_id,
          c.dst_chain ?? c.dst_channel ?? "—",
          String(c.pending_packets),
          age(c.oldest_packet_age_seconds),
          h("span", { class: `badge badge-level-${c.congestion_level}` }, c.congestion_level)
        ]))))
    } else {
      parts.push(notice("error", `Channel congestion is unavailable: ${errorText(metrics.reason)}`))
    }

    if (events.status === "fulfilled") {
      parts.push(h("section", { "aria-labelledby": "events-h" },
        h("h3", { id: "events-h" }, "Stuck packets seen on chain"),
        table("Stuck packets by channel (chain events)", ["Chain", "Channel", "Destination", "Stuck", "Oldest", "Value stuck"], events.value.channels.map((c) => [
          c.chain_id,
          c.src_channel,
          `${c.dst_chain_id ?? "unknown chain"} ${c.dst_channel}`,
          String(c.stuck_count),
          age(c.oldest_stuck_age_seconds),
          Object.entries(c.total_value).map(([denom, v]) => amount(v, denom)).join(", ") || "—"
        ]), "no stuck packets in the followed chains' events.")))
    } else {
      parts.push(notice("error", `Stuck packets from chain events are unavailable: ${errorText(events.reason)}`))
    }

    if (monitoring.status === "fulfilled") {
      const m = monitoring.value
      parts.push(
        h("section", { "aria-labelledby": "chains-h" },
          h("h3", { id: "chains-h" }, "Chains"),
          table("Chains seen by Chainpulse", ["Chain", "Packets", "Txs", "Errors", "Reconnects"], m.chains.map((c) => [
            c.chain_id,
            String(c.packets_total ?? "—"),
            String(c.txs_total ?? "—"),
            String(c.errors ?? "—"),
            String(c.reconnects ?? "—")
          ]))),
        h("section", { "aria-labelledby": "relayers-h" },
          h("h3", { id: "relayers-h" }, "Top relayers"),
          table("Top relayers by packets relayed", ["Relayer", "Memo", "Chains", "Relayed", "Not effected", "Frontrun", "Success"], m.top_relayers.slice(0, 10).map((r) => [
            h("code", { title: r.address }, short(r.address)),
            r.memo || "—",
            r.chains.join(", "),
            String(r.packets_relayed),
            String(r.uneffected),
            String(r.frontrun),
            percent(r.success_rate)
          ]))),
        h("section", { "aria-labelledby": "channels-h" },
          h("h3", { id: "channels-h" }, "Busiest channels"),
          table("Busiest channels", ["Chain", "Channel", "Counterparty channel", "Packets", "Success", "Stuck"], [...m.channels].sort((a, b) => b.total_packets - a.total_packets).slice(0, 15).map((c) => [
            c.src,
            c.src_channel,
            c.dst_channel,
            String(c.total_packets),
            percent(c.success_rate),
            String(c.packets_pending ?? 0)
          ])))
      )
      status.textContent = `Chainpulse scraped at ${time(m.timestamp)} · refreshes every ${REFRESH_MS / 1000} s`
    } else {
      status.textContent = `Refreshes every ${REFRESH_MS / 1000} s`
    }
    replace(out, parts)
    timer = window.setTimeout(() => void load(), REFRESH_MS)
  }

  root.append(
    h("h2", { class: "view-title" }, "Network"),
    h("p", { class: "lead" }, "Chains, channels and relayers as Chainpulse sees them, and the stuck packets in the chains' own events."),
    h("div", { class: "actions" }, status, h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Refresh now")),
    out
  )
  void load()
  return () => {
    stopped = true
    window.clearTimeout(timer)
  }
}
