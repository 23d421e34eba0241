export * as ArkServer from "./ark-server.js"
export * as Lightning from "./lightning.js"
export * as TaprootAssets from "./taproot-assets.js"
export * as Transport from "./transport.js"
