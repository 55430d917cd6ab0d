'use strict'
// idempotent.js BOOTSTRAP TOPIC
//
// An idempotent producer (idempotent: true, maxInFlightRequests: 1,
// acks=-1, GZIP) writes N records in batches to TOPIC (3 partitions,
// created here); a consumer group reads them back: every record once, and
// per partition in the order each key's batches were acknowledged. The Go
// test then checks on the wire that the batches carry a producer id.

const { CompressionTypes } = require('kafkajs')
const lib = require('./lib')

const N = 3000
const BATCH = 150

lib.main(110000, async () => {
  const [bootstrap, topic] = process.argv.slice(2)
  const kafka = lib.client(bootstrap, 'kafkajs-idempotent')
  const admin = kafka.admin()
  await admin.connect()
  lib.check(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }),
    'createTopics returned false')

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const vals = lib.values('idem', N)
  const sent = new Map() // partition -> values in acknowledged order
  for (let i = 0; i < N; i += BATCH) {
    const messages = vals.slice(i, i + BATCH).map((v, j) => ({ value: v, partition: (i / BATCH + j) % 3 }))
    const res = await lib.within(20000, 'idempotent send', producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages }))
    lib.check(res.every(r => r.errorCode === 0), `send: ${JSON.stringify(res)}`)
    for (const m of messages) {
      if (!sent.has(m.partition)) sent.set(m.partition, [])
      sent.get(m.partition).push(m.value)
    }
  }
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `${topic}-reader`, sessionTimeout: 10000, maxWaitTimeInMs: 500, heartbeatInterval: 500 })
  const got = new Map()
  let total = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (!got.has(partition)) got.set(partition, [])
        got.get(partition).push(message.value.toString())
        total++
      }
    })
    await lib.waitFor(30000, `reading ${N} records (have ${total})`, () => total >= N)
    await lib.sleep(500)
  } finally {
    await lib.within(15000, 'consumer disconnect', consumer.disconnect())
  }
  for (const [p, want] of sent) {
    const have = got.get(p) || []
    lib.check(JSON.stringify(have) === JSON.stringify(want),
      `partition ${p}: read ${have.length} records, want ${want.length} in send order (first difference at ${want.findIndex((v, i) => have[i] !== v)})`)
  }
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  return { produced: N, read: total, highs: offsets.map(p => Number(p.high)) }
})
