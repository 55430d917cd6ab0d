// Package archtest holds no code; its test enforces the direction of
// imports described in docs/architecture.md §4, so a layering mistake fails CI
// instead of growing quietly.
package archtest
