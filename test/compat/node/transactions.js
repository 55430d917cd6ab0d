'use strict'
// transactions.js BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP
//
// Creates IN_TOPIC (1 partition) and OUT_TOPIC (2 partitions) and writes
// 100 plain records to IN_TOPIC. A transactional producer then
//  1. sends copies of records 0..59 to OUT_TOPIC, sendOffsets(GROUP,
//     IN_TOPIC:0 -> 60) and commits;
//  2. sends copies of 60..99, sendOffsets(-> 100) and aborts;
//  3. sends 10 "after" records and commits (so a reader that sees them
//     has read past the aborted ones).
// A consumer with readUncommitted: false must see exactly the 70
// committed records, one with readUncommitted: true all 110, and GROUP's
// committed offset must be 60.

const lib = require('./lib')

const COUNT = 100
const HALF = 60
const AFTER = 10

// readAll reads OUT with a fresh group until want records arrived, then
// 1 s more to catch extras.
async function readAll (kafka, topic, groupId, readUncommitted, want) {
  const consumer = kafka.consumer({ groupId, readUncommitted, sessionTimeout: 10000, maxWaitTimeInMs: 500, heartbeatInterval: 500 })
  const got = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value.toString()) } })
    await lib.waitFor(30000, `${groupId} reading ${want} records (have ${got.length})`, () => got.length >= want)
    await lib.sleep(1000)
  } finally {
    await lib.within(15000, 'consumer disconnect', consumer.disconnect())
  }
  return got
}

lib.main(110000, async () => {
  const [bootstrap, src, dst, group] = process.argv.slice(2)
  const kafka = lib.client(bootstrap, 'kafkajs-txn')
  const admin = kafka.admin()
  await admin.connect()
  lib.check(await admin.createTopics({
    topics: [{ topic: src, numPartitions: 1, replicationFactor: 1 }, { topic: dst, numPartitions: 2, replicationFactor: 1 }],
    waitForLeaders: true
  }), 'createTopics returned false')

  const plain = kafka.producer()
  await plain.connect()
  const input = lib.values('m', COUNT)
  await plain.send({ topic: src, acks: -1, messages: input.map(v => ({ value: v })) })
  await plain.disconnect()

  const producer = kafka.producer({ transactionalId: `${group}-txn`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30000 })
  await producer.connect()
  const copy = v => ({ key: v, value: `copy-${v}` })
  const offsetsTo = offset => ({ consumerGroupId: group, topics: [{ topic: src, partitions: [{ partition: 0, offset: String(offset) }] }] })

  let txn = await producer.transaction()
  await txn.send({ topic: dst, messages: input.slice(0, HALF).map(copy) })
  await txn.sendOffsets(offsetsTo(HALF))
  await txn.commit()

  txn = await producer.transaction()
  await txn.send({ topic: dst, messages: input.slice(HALF).map(copy) })
  await txn.sendOffsets(offsetsTo(COUNT))
  await txn.abort()

  const after = lib.values('after', AFTER)
  txn = await producer.transaction()
  await txn.send({ topic: dst, messages: after.map(v => ({ key: v, value: v })) })
  await txn.commit()
  await producer.disconnect()

  const committedWant = [...input.slice(0, HALF).map(v => `copy-${v}`), ...after]
  const rc = await readAll(kafka, dst, `${group}-read-committed`, false, committedWant.length)
  const c = lib.duplicatesAndMissing(committedWant, rc)
  lib.check(c.dup.length === 0 && c.missing.length === 0 && c.unexpected.length === 0,
    `read committed: ${JSON.stringify({ read: rc.length, dup: c.dup.slice(0, 5), missing: c.missing.slice(0, 5), unexpected: c.unexpected.slice(0, 5) })}`)

  const allWant = [...input.map(v => `copy-${v}`), ...after]
  const ru = await readAll(kafka, dst, `${group}-read-uncommitted`, true, allWant.length)
  const u = lib.duplicatesAndMissing(allWant, ru)
  lib.check(u.dup.length === 0 && u.missing.length === 0 && u.unexpected.length === 0,
    `read uncommitted: ${JSON.stringify({ read: ru.length, dup: u.dup.slice(0, 5), missing: u.missing.slice(0, 5), unexpected: u.unexpected.slice(0, 5) })}`)

  const offs = await admin.fetchOffsets({ groupId: group, topics: [src] })
  const groupOffset = Number(offs[0].partitions[0].offset)
  lib.check(groupOffset === HALF, `group offset ${groupOffset}, want ${HALF} (the aborted sendOffsets must not count)`)
  await admin.disconnect()
  return { read_committed: rc.length, read_uncommitted: ru.length, group_offset: groupOffset }
})
