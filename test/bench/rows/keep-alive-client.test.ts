import { createServer, type Server } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { parseResponse, run } from "../../../bench/rows/keep-alive-client.js"

const wire = (status: number, body: string, extra = "") =>
  Buffer.from(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`)

describe("the bench's keep-alive client", () => {
  it("finds where a response ends only once all of it has arrived, and reads its status and connection: close", () => {
    const one = wire(401, `{"error":"invalid signature"}`, "Connection: close\r\n")
    for (let cut = 0; cut < one.length; cut++) expect(parseResponse(one.subarray(0, cut))).toBeUndefined()
    const two = Buffer.concat([one, wire(200, "{}")])
    expect(parseResponse(two)).toMatchObject({ status: 401, end: one.length, close: true })
    expect(parseResponse(two.subarray(one.length))).toMatchObject({ status: 200, close: false })
  })

  it("frames a chunked response, and refuses one it cannot frame", () => {
    const chunked = Buffer.from("HTTP/1.1 429 X\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nb\r\n, the rest.\r\n0\r\n\r\n")
    for (let cut = 0; cut < chunked.length; cut++) expect(parseResponse(chunked.subarray(0, cut))).toBeUndefined()
    expect(parseResponse(Buffer.concat([chunked, wire(200, "{}")]))).toMatchObject({ status: 429, end: chunked.length })
    expect(() => parseResponse(Buffer.from("HTTP/1.1 200 X\r\n\r\n{}"))).toThrow()
  })

  describe("against a server", () => {
    let server: Server
    let port = 0
    let closing = 0
    beforeAll(() =>
      new Promise<void>((resolve) => {
        server = createServer((req, res) => {
          let body = ""
          req.on("data", (c) => (body += c))
          req.on("end", () => {
            // Every tenth answer closes its socket, as the app's do while it drains.
            const close = req.url?.endsWith("0") === true
            if (close) closing++
            const status = req.url?.startsWith("/refuse") === true ? 429 : 200
            res.writeHead(status, { "content-type": "application/json", ...(close ? { connection: "close" } : {}) })
            res.end(JSON.stringify({ url: req.url, body }))
          })
        }).listen(0, "127.0.0.1", () => {
          port = (server.address() as { port: number }).port
          resolve()
        })
      }))
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it("sends every request once, over sockets it reopens when the server closes one, and reports each status", async () => {
      const exchanges = Array.from({ length: 300 }, (_, i) =>
        i % 7 === 0 ? { method: "GET" as const, path: `/refuse/${i}` } : { method: "POST" as const, path: `/ok/${i}`, body: JSON.stringify({ i }) })
      const r = await run(port, exchanges, 8)
      expect(r.errors).toBe(0)
      expect(r.answers).toHaveLength(300)
      expect(r.answers.filter((a) => a.status === 429)).toHaveLength(exchanges.filter((e) => e.path.startsWith("/refuse")).length)
      expect(r.answers.find((a) => a.status === 429)?.body).toContain("/refuse/")
      expect(closing).toBe(30)
    })
  })
})
