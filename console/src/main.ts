import "./style.css"
import { ibcView } from "./ibc.js"
import { networkView } from "./network.js"
import { operatorView } from "./operator.js"

/** A view draws into its root and returns how to stop (timers, sockets). */
export type View = (root: HTMLElement) => () => void

const VIEWS: Record<string, { title: string; view: View }> = {
  ibc: { title: "My IBC packets", view: ibcView },
  network: { title: "Network", view: networkView },
  operator: { title: "Operator", view: operatorView }
}

const root = document.getElementById("view")!
let stop: () => void = () => {}

const show = () => {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0] || "ibc"
  const entry = VIEWS[name] ?? VIEWS["ibc"]!
  stop()
  root.replaceChildren()
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-view]")) {
    if (a.dataset["view"] === name) a.setAttribute("aria-current", "page")
    else a.removeAttribute("aria-current")
  }
  document.title = `${entry.title} · relaygate console`
  stop = entry.view(root)
}

window.addEventListener("hashchange", () => {
  show()
  // Keyboard and screen-reader users land on the new view, not on the nav link.
  document.getElementById("main")?.focus()
})
show()
