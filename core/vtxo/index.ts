export * from "./errors.js"
export * from "./machine.js"
export * from "./model.js"
export * as Vtxos from "./service.js"
