'use strict'
// cluster.js BOOTSTRAP TOPIC BROKERS
//
// Against a cluster of BROKERS nodes, bootstrapped from the one address
// BOOTSTRAP: describeCluster and fetchTopicMetadata must show every broker
// and TOPIC (created here: 3 partitions, replication factor 3) fully
// replicated. An idempotent producer (acks=-1) then sends batches to every
// partition; mid-produce the script prints "KILL <node id>" naming the
// leader of a partition (never the bootstrap node) and keeps producing;
// the Go test kills that node with SIGKILL and answers "killed" on stdin.
// After AFTER more acknowledged batches, a consumer group must read back
// every acknowledged record, each stored at exactly one offset. The group's
// coordinator is found before the kill: with offsets.topic.replication.factor
// 3, Kafka (and Samsa) cannot create __consumer_offsets on two live brokers.

const readline = require('readline')
const lib = require('./lib')

const BATCH = 50
const BEFORE = 20
const AFTER = 30

// killed resolves on the Go test's "killed" line.
function killedSignal () {
  const rl = readline.createInterface({ input: process.stdin })
  return new Promise(resolve => rl.on('line', line => {
    if (line.trim() === 'killed') { rl.close(); resolve() }
  }))
}

lib.main(170000, async () => {
  const [bootstrap, topic, brokersArg] = process.argv.slice(2)
  const nBrokers = Number(brokersArg)
  const { laps, lap } = lib.stopwatch()
  const kafka = lib.client(bootstrap, 'kafkajs-cluster', { retry: { retries: 15, initialRetryTime: 200, maxRetryTime: 2000 } })
  const admin = kafka.admin()
  await admin.connect()
  const cluster = await admin.describeCluster()
  lib.check(cluster.brokers.length === nBrokers, `describeCluster lists ${cluster.brokers.length} brokers: ${JSON.stringify(cluster.brokers)}`)
  lib.check(cluster.controller !== null && cluster.controller >= 1, `controller ${cluster.controller}`)

  lap('describe_cluster')
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: nBrokers }], waitForLeaders: true })
  lap('create_topic')
  const md = await lib.waitFor(30000, 'every partition with a leader and a full ISR', async () => {
    const m = await admin.fetchTopicMetadata({ topics: [topic] })
    const ps = m.topics[0].partitions
    return ps.length === 3 && ps.every(p => p.leader >= 1 && p.replicas.length === nBrokers && p.isr.length === nBrokers) && m
  })
  lap('full_isr')
  const coordinatorErrors = []
  const t0 = Date.now()
  const readerGroup = `${topic}-reader`
  await lib.waitFor(30000, 'group coordinator for the reader group', async () => {
    try {
      return await admin.fetchOffsets({ groupId: readerGroup, topics: [topic] })
    } catch (e) {
      coordinatorErrors.push(`${Date.now() - t0}ms ${e.name}: ${e.message}`)
      return false
    }
  })
  lap('group_coordinator')
  const addrOf = Object.fromEntries(cluster.brokers.map(b => [b.nodeId, `${b.host}:${b.port}`]))
  const victim = md.topics[0].partitions.map(p => p.leader).find(id => addrOf[id] !== bootstrap)
  lib.check(victim !== undefined, `no partition leader other than the bootstrap node ${bootstrap}`)

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const acked = []
  const failed = []
  const killed = killedSignal()
  let killedAt = -1
  let afterKill = 0
  for (let b = 0; afterKill < AFTER; b++) {
    const vals = lib.values(`b${b}`, BATCH)
    const messages = vals.map((v, i) => ({ key: v, value: v, partition: i % 3 }))
    try {
      await lib.within(60000, `send batch ${b}`, producer.send({ topic, acks: -1, timeout: 10000, messages }))
      acked.push(...vals)
    } catch (e) {
      failed.push({ batch: b, error: String(e) })
      lib.check(failed.length <= 3, `sends keep failing: ${JSON.stringify(failed)}`)
    }
    if (b === BEFORE) {
      lap('produce_before_kill')
      process.stdout.write(`KILL ${victim}\n`)
      await lib.within(30000, 'the Go test killing the leader', killed)
      killedAt = b
      lap('kill')
    }
    if (killedAt >= 0 && b > killedAt) afterKill++
  }
  await producer.disconnect()
  lap('produce_after_kill')

  const after = await admin.fetchTopicMetadata({ topics: [topic] })
  const leaders = after.topics[0].partitions.map(p => p.leader)

  const consumer = kafka.consumer({ groupId: readerGroup, sessionTimeout: 10000, maxWaitTimeInMs: 500, heartbeatInterval: 500 })
  const got = []
  const at = new Map() // value -> set of partition:offset where it was read
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const v = message.value.toString()
        got.push(v)
        if (!at.has(v)) at.set(v, new Set())
        at.get(v).add(`${partition}:${message.offset}`)
      }
    })
    await lib.waitFor(60000, `reading ${acked.length} acknowledged records (have ${got.length})`, () => got.length >= acked.length)
    await lib.sleep(1000)
  } finally {
    await lib.within(15000, 'consumer disconnect', consumer.disconnect())
  }
  lap('consume')
  const r = lib.duplicatesAndMissing(acked, got)
  lib.check(r.missing.length === 0, `acknowledged records lost: ${r.missing.length}, e.g. ${r.missing.slice(0, 5)}`)
  // A consumer may re-read an offset after a rebalance; the idempotent
  // producer must never have stored a record at two offsets.
  const stored = [...at].filter(([, where]) => where.size > 1)
  lib.check(stored.length === 0, `records stored twice: ${stored.length}, e.g. ${JSON.stringify(stored.slice(0, 3).map(([v, w]) => [v, [...w]]))}`)
  await admin.disconnect()
  return {
    brokers: cluster.brokers.map(b => b.nodeId).sort(),
    controller: cluster.controller,
    killed: victim,
    leaders_after: leaders,
    acked: acked.length,
    failed_batches: failed.length,
    unacked_read: r.unexpected.length,
    read: got.length,
    reread: r.dup.length,
    laps,
    coordinator_errors: coordinatorErrors
  }
})
