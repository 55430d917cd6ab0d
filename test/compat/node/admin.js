'use strict'
// admin.js BOOTSTRAP TOPIC GROUP
//
// kafkajs admin client: createTopics (with a config entry), listTopics,
// fetchTopicMetadata, describeConfigs, alterConfigs, createPartitions,
// fetchTopicOffsets, a group's fetchOffsets after a consumer committed,
// listGroups, describeGroups and deleteTopics.

const { ConfigResourceTypes } = require('kafkajs')
const lib = require('./lib')

async function describeTopicConfig (admin, topic, name) {
  const res = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
    includeSynonyms: false
  })
  const r = res.resources[0]
  lib.check(r.errorCode === 0, `describeConfigs ${topic}: error ${r.errorCode} ${r.errorMessage}`)
  const e = r.configEntries.find(c => c.configName === name)
  lib.check(e, `describeConfigs ${topic}: no ${name} in ${JSON.stringify(r.configEntries)}`)
  return e.configValue
}

// consumeAndCommit reads want records with a group member, which commits
// them (autoCommit) when it stops, and leaves the group.
async function consumeAndCommit (kafka, topic, group, want) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, maxWaitTimeInMs: 500, heartbeatInterval: 500 })
  let n = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => { n++ } })
    await lib.waitFor(30000, `consumer reading ${want} records (have ${n})`, () => n >= want)
    return consumer
  } catch (e) {
    await consumer.disconnect()
    throw e
  }
}

lib.main(110000, async () => {
  const [bootstrap, topic, group] = process.argv.slice(2)
  const kafka = lib.client(bootstrap, 'kafkajs-admin')
  const admin = kafka.admin()
  await admin.connect()
  const out = {}

  lib.check(await admin.createTopics({
    topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    waitForLeaders: true
  }), 'createTopics returned false')
  lib.check(!(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: false })),
    'createTopics of an existing topic returned true')

  out.listed = (await admin.listTopics()).includes(topic)
  lib.check(out.listed, 'listTopics lacks the topic')

  let md = await admin.fetchTopicMetadata({ topics: [topic] })
  lib.check(md.topics[0].name === topic && md.topics[0].partitions.length === 2,
    `fetchTopicMetadata: ${JSON.stringify(md)}`)
  for (const p of md.topics[0].partitions) {
    lib.check(p.leader >= 0 && p.replicas.length === 1 && p.isr.length === 1, `partition ${JSON.stringify(p)}`)
  }

  out.retentionCreated = await describeTopicConfig(admin, topic, 'retention.ms')
  lib.check(out.retentionCreated === '3600000', `retention.ms after create = ${out.retentionCreated}`)
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }]
  })
  out.retentionAltered = await lib.waitFor(10000, 'altered retention.ms visible', async () => {
    const v = await describeTopicConfig(admin, topic, 'retention.ms')
    return v === '7200000' && v
  })

  await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] })
  md = await lib.waitFor(10000, 'four partitions with leaders', async () => {
    const m = await admin.fetchTopicMetadata({ topics: [topic] })
    const ps = m.topics[0].partitions
    return ps.length === 4 && ps.every(p => p.leader >= 0) && m
  })
  out.partitions = md.topics[0].partitions.length

  const producer = kafka.producer()
  await producer.connect()
  const messages = lib.values('a', 200).map(v => ({ key: v, value: v }))
  await producer.send({ topic, acks: -1, messages })
  await producer.disconnect()
  const offsets = await admin.fetchTopicOffsets(topic)
  out.highs = offsets.map(p => Number(p.high))
  lib.check(offsets.length === 4 && out.highs.reduce((a, b) => a + b, 0) === 200,
    `fetchTopicOffsets: ${JSON.stringify(offsets)}`)
  lib.check(offsets.every(p => p.low === '0'), `low offsets: ${JSON.stringify(offsets)}`)

  const consumer = await consumeAndCommit(kafka, topic, group, 200)
  try {
    const groups = await lib.waitFor(10000, 'listGroups shows the group', async () => {
      const g = await admin.listGroups()
      return g.groups.some(x => x.groupId === group) && g
    })
    out.listGroups = groups.groups.find(x => x.groupId === group).protocolType
    lib.check(out.listGroups === 'consumer', `listGroups protocolType ${out.listGroups}`)
    const desc = await lib.waitFor(10000, 'describeGroups Stable with one member', async () => {
      const d = (await admin.describeGroups([group])).groups[0]
      return d.state === 'Stable' && d.members.length === 1 && d
    })
    out.describeGroups = { state: desc.state, protocol: desc.protocol, members: desc.members.length }
    lib.check(desc.errorCode === 0 && desc.protocolType === 'consumer' && desc.members[0].memberAssignment.length > 0,
      `describeGroups: ${JSON.stringify(desc)}`)
  } finally {
    await lib.within(15000, 'consumer disconnect', consumer.disconnect())
  }
  const committed = await lib.waitFor(10000, 'fetchOffsets equals the high watermarks', async () => {
    const c = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    const ps = c[0].partitions
    return ps.length === 4 && ps.every(p => Number(p.offset) === out.highs[p.partition]) && ps
  })
  out.committed = committed.map(p => Number(p.offset))

  await admin.deleteTopics({ topics: [topic], timeout: 10000 })
  await lib.waitFor(10000, 'deleted topic gone from listTopics', async () => !(await admin.listTopics()).includes(topic))
  out.deleted = true
  await admin.disconnect()
  return out
})
