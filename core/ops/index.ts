export * from "./alerts.machine.js"
export * from "./ceremony-outcomes.js"
export * from "./errors.js"
