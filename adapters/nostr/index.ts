export * as Bus from "./bus.js"
export * as Crypto from "./crypto.js"
