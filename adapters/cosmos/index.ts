export * as ChainEvents from "./chain-events.js"
export * as PaymentVerifier from "./payment-verifier.js"
