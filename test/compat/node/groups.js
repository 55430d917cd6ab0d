'use strict'
// groups.js BOOTSTRAP TOPIC GROUP
//
// Creates TOPIC (4 partitions) with the admin client, produces N1 records
// with acks=-1 and GZIP, reads them with a consumer group (consumer.run
// eachMessage, offsets committed with commitOffsets), disconnects,
// produces N2 more and checks that a second consumer of the same group
// resumes at the commit: it reads exactly the N2 new records.

const { CompressionTypes } = require('kafkajs')
const lib = require('./lib')

const N1 = 2000
const N2 = 500
const BATCH = 100
const PARTITIONS = 4

async function produce (producer, topic, vals) {
  const acked = []
  for (let i = 0; i < vals.length; i += BATCH) {
    const messages = vals.slice(i, i + BATCH).map(v => ({ key: v, value: v }))
    const res = await lib.within(20000, 'send', producer.send({
      topic, acks: -1, compression: CompressionTypes.GZIP, timeout: 10000, messages
    }))
    for (const r of res) {
      lib.check(r.errorCode === 0, `send: partition ${r.partition} error ${r.errorCode}`)
      acked.push(r)
    }
  }
  return acked
}

// consume runs one group member until it has read want records (and then
// 1 s more, to catch extras), committing each message's offset + 1.
async function consume (kafka, topic, group, want) {
  const consumer = kafka.consumer({
    groupId: group, sessionTimeout: 10000, maxWaitTimeInMs: 500, heartbeatInterval: 500, rebalanceTimeout: 10000
  })
  const got = []
  const partitions = new Set()
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        got.push(message.value.toString())
        partitions.add(partition)
        lib.check(message.key.toString() === message.value.toString(), `key ${message.key} != value ${message.value}`)
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
      }
    })
    await lib.waitFor(30000, `group ${group} reading ${want} records (have ${got.length})`, () => got.length >= want)
    await lib.sleep(1000)
  } finally {
    await lib.within(15000, 'consumer disconnect', consumer.disconnect())
  }
  return { got, partitions: partitions.size }
}

lib.main(110000, async () => {
  const [bootstrap, topic, group] = process.argv.slice(2)
  const kafka = lib.client(bootstrap, 'kafkajs-groups')
  const admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true, timeout: 10000
  })
  lib.check(created, `createTopics(${topic}) returned false`)

  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const first = lib.values('first', N1)
  const acked1 = await produce(producer, topic, first)

  const r1 = await consume(kafka, topic, group, N1)
  const c1 = lib.duplicatesAndMissing(first, r1.got)
  lib.check(c1.dup.length === 0 && c1.missing.length === 0 && c1.unexpected.length === 0,
    `first consumer: ${JSON.stringify({ dup: c1.dup.slice(0, 5), missing: c1.missing.slice(0, 5), unexpected: c1.unexpected.slice(0, 5), read: r1.got.length })}`)

  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  const ends = await admin.fetchTopicOffsets(topic)
  const endOf = Object.fromEntries(ends.map(p => [p.partition, p.high]))
  for (const p of committed[0].partitions) {
    lib.check(p.offset === endOf[p.partition], `partition ${p.partition}: committed ${p.offset}, high watermark ${endOf[p.partition]}`)
  }

  const second = lib.values('second', N2)
  await produce(producer, topic, second)
  await producer.disconnect()
  const r2 = await consume(kafka, topic, group, N2)
  const c2 = lib.duplicatesAndMissing(second, r2.got)
  lib.check(c2.dup.length === 0 && c2.missing.length === 0 && c2.unexpected.length === 0,
    `second consumer did not resume at the commit: ${JSON.stringify({ dup: c2.dup.slice(0, 5), missing: c2.missing.slice(0, 5), unexpected: c2.unexpected.slice(0, 5), read: r2.got.length })}`)
  await admin.disconnect()
  return {
    produced: N1 + N2,
    acked_batches: acked1.length,
    first_read: r1.got.length,
    first_partitions: r1.partitions,
    second_read: r2.got.length,
    committed: committed[0].partitions.map(p => p.offset)
  }
})
