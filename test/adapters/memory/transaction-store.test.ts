import { layer } from "../../../adapters/memory/transaction-store.js"
import { transactionStoreContract } from "../../contracts/transaction-store.js"

transactionStoreContract("memory", layer)
