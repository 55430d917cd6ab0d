// Package txn holds the producer-id manager (and, later, the transaction
// coordinator over __transaction_state).
package txn
