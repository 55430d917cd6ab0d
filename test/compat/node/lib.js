'use strict'
// Shared helpers for the kafkajs scripts that test/compat/kafkajs_test.go
// runs against a samsa broker. Every script prints one JSON object (its
// result) as the last line of stdout and exits 0, or prints FAIL: ... to
// stderr and exits 1. kafkajs' own log goes to stderr.

const { Kafka, logLevel } = require('kafkajs')

// stderrLog routes kafkajs' log lines to stderr so stdout holds only results.
const stderrLog = () => ({ namespace, level, label, log }) => {
  const { message, ...extra } = log
  process.stderr.write(`[kafkajs ${label} ${namespace}] ${message} ${JSON.stringify(extra)}\n`)
}

// client builds a Kafka client with short, bounded retries: a test that
// waits on a broker bug should fail within seconds, not minutes.
function client (brokers, clientId, extra = {}) {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: process.env.KAFKAJS_DEBUG ? logLevel.DEBUG : logLevel.WARN,
    logCreator: stderrLog,
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
    ...extra
  })
}

// within rejects when promise has not settled after ms.
function within (ms, what, promise) {
  let timer
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

// waitFor polls cond (sync or async) every 50 ms until it is truthy.
async function waitFor (ms, what, cond) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await cond()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

// stopwatch returns lap(name), which records the ms since the previous lap
// under name in laps (a script's result carries them, to see where its
// time goes).
function stopwatch () {
  const laps = {}
  let last = Date.now()
  const lap = name => {
    const now = Date.now()
    laps[name] = now - last
    last = now
  }
  return { laps, lap }
}

function sleep (ms) { return new Promise(resolve => setTimeout(resolve, ms)) }

// check throws with msg unless ok.
function check (ok, msg) {
  if (!ok) throw new Error(msg)
}

// main runs fn, prints its result as JSON and exits; the whole script is
// bounded by limitMs so that a hung client never outlives the Go test.
function main (limitMs, fn) {
  const timer = setTimeout(() => {
    process.stderr.write(`FAIL: script did not finish within ${limitMs} ms\n`)
    process.exit(2)
  }, limitMs)
  fn().then(result => {
    clearTimeout(timer)
    process.stdout.write(JSON.stringify(result) + '\n')
    process.exit(0)
  }, err => {
    process.stderr.write(`FAIL: ${err && err.stack ? err.stack : err}\n`)
    process.exit(1)
  })
}

// values returns n distinct message values with a prefix.
function values (prefix, n) {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
}

// duplicatesAndMissing compares the values read with those expected.
function duplicatesAndMissing (expected, got) {
  const counts = new Map()
  for (const v of got) counts.set(v, (counts.get(v) || 0) + 1)
  const dup = [...counts].filter(([, c]) => c > 1).map(([v]) => v)
  const missing = expected.filter(v => !counts.has(v))
  const want = new Set(expected)
  const unexpected = got.filter(v => !want.has(v))
  return { dup, missing, unexpected }
}

module.exports = { client, within, waitFor, stopwatch, sleep, check, main, values, duplicatesAndMissing }
