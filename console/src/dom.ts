/*
 * A tiny element builder. Everything shown comes from chains, relayers and
 * users (memos, addresses), so text always goes in as text nodes, never HTML.
 */

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>

export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | ReadonlyArray<Child>>) => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v)
    else if (v === true) el.setAttribute(k, "")
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

const append = (el: Node, children: ReadonlyArray<Child | ReadonlyArray<Child>>) => {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c)
    else if (c !== null && c !== undefined && c !== false) el.appendChild(typeof c === "object" ? c as Node : document.createTextNode(String(c)))
  }
}

const SVG = "http://www.w3.org/2000/svg"

export const svg = (tag: string, attrs: Record<string, string | number> = {}, ...children: Array<Node | string>) => {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  for (const c of children) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c)
  return el
}

export const replace = (el: Element, ...children: Array<Child | ReadonlyArray<Child>>) => {
  el.replaceChildren()
  append(el, children)
}

let ids = 0
/** A unique id for label/aria wiring. */
export const uid = (prefix: string) => `${prefix}-${++ids}`

/** A labelled input; the label is always visible (placeholders are not labels). */
export const field = (label: string, input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, hint?: string) => {
  const id = input.id || uid("f")
  input.id = id
  const hintId = hint === undefined ? undefined : `${id}-hint`
  if (hintId !== undefined) input.setAttribute("aria-describedby", hintId)
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint === undefined ? null : h("p", { class: "hint", id: hintId }, hint))
}

export const notice = (kind: "info" | "error" | "ok" | "warn", ...children: Array<Child>) =>
  h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children)

export const table = (caption: string, head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<Child | ReadonlyArray<Child>>>, empty = "Nothing to show.") =>
  rows.length === 0
    ? h("p", { class: "empty" }, `${caption}: ${empty}`)
    : h(
      "div",
      { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
      h(
        "table",
        {},
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { "data-label": head[i] ?? "" }, c)))))
      )
    )
