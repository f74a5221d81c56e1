// Queue pipeline: the project's publishing path (ConfirmedPublisher of @hello/messaging) and the
// consumer app's full handling path (its production build) against three other sides with the same
// durability (the same quorum queue and arguments, persistent messages, publisher confirms on both
// hops, manual acks, the same prefetch): a raw amqplib publisher and consumer, and two peers a team
// would otherwise pick, each fed by a raw amqplib publisher: NestJS's stock Transport.RMQ consumer
// publishing its effect through ClientRMQ (peers/nest-rmq-consumer.ts), and a
// @golevelup/nestjs-rabbitmq subscriber publishing through its AmqpConnection
// (peers/golevelup/golevelup-consumer.ts, a package of its own on NestJS 11). Every side puts the same
// messages on the wire (AMQP properties and the W3C traceparent header, on both hops), except that
// Nest's transport wraps each body in its {"pattern", "data"} envelope. Each side runs in a vhost of its own on the same broker. A message
// counts as handled when its message.handled event (which every consumer publishes, confirmed,
// before it acks) reaches an observer queue; in every vhost the event log (a stream bound to
// hello.events) stores the events too, as the project's consumer declares it.
//
// Three loads per side: saturation (as fast as confirms allow, PUBLISH_WINDOW publishes in flight:
// the queue backs up, so latency there is mostly waiting in the queue), an offered rate (1000 msg/s),
// and one message at a time (the time through an idle pipeline). During the saturation runs the CPU
// time of each consumer process, of this process (publisher and observer) and, when the broker runs
// on this machine, of the broker is divided by the messages: on a machine with few cores the sides
// compete for CPU, so CPU per message is the steadier figure.
//
// HELLO_CPU_PROF=<dir> / HELLO_ALLOC_PROF=<dir> / HELLO_HEAP_PROF=<dir>: see profileArgs.
'use strict';
const {
  ROOT,
  freePort,
  median,
  peerArgs,
  profileArgs,
  rawArgs,
  rssMiB,
  startProcess,
  stopProcess,
} = require('./lib.cjs');
const { appNodeArgs } = require('../stack/apps.cjs');
const { pin, spread, waitForQuiet } = require('./rounds.cjs');
const {
  PUBLISH_WINDOW,
  createObserver,
  declareEventLog,
  localBrokerPid,
  offeredRate,
  oneAtATime,
  projectPublisher,
  rawPublisher,
  saturation,
  waitForConsumer,
  withCpuPerMessage,
} = require('./pipeline.cjs');

const PREFETCH = 20;
/** The sides, in table order: the project first, then what it is compared with. */
const SIDES = {
  consumer: 'publisher + consumer app',
  raw: 'raw amqplib',
  nestRmq: 'Nest RMQ transport + ClientRMQ',
  golevelup: '@golevelup/nestjs-rabbitmq',
};

/**
 * @typedef {keyof typeof SIDES} Side
 * @typedef {import('./pipeline.cjs').Publisher} Publisher
 * @typedef {import('./pipeline.cjs').Observer} Observer
 * @typedef {Awaited<ReturnType<typeof benchQueue>>['project']} SideSummary
 */

/**
 * @param {import('./run.cjs').Common} options
 */
async function benchQueue({ createVhost, managementUrl, smoke, rounds, pinning }) {
  const { workQueueArguments } = require('@hello/messaging');
  const rate = smoke ? 200 : 1000;
  const seconds = smoke ? 1 : 10;
  const count = smoke ? 300 : 20_000;
  const sequential = smoke ? 20 : 500;

  const env = { ...process.env, NODE_ENV: 'production' };
  const queueArguments = JSON.stringify(workQueueArguments('hello'));
  /** @param {string} url */
  const peerEnv = (url) => ({
    ...env,
    PEER_AMQP_URL: url,
    PEER_PREFETCH: String(PREFETCH),
    PEER_QUEUE_ARGUMENTS: queueArguments,
  });
  /** @type {Record<Side, { makePublisher: (url: string) => Promise<Publisher>, start: (url: string) => Promise<import('./lib.cjs').StartedProcess> }>} */
  const setups = {
    consumer: {
      makePublisher: projectPublisher,
      start: async (url) =>
        startProcess('consumer', appNodeArgs(ROOT, 'consumer', profileArgs('consumer')), {
          env: {
            ...env,
            RABBITMQ_URL: url,
            CONSUMER_HTTP_PORT: String(await freePort()),
            CONSUMER_PREFETCH: String(PREFETCH),
          },
          ready: /listening/i,
        }),
    },
    raw: {
      makePublisher: (url) => rawPublisher(url),
      start: (url) =>
        startProcess('raw amqplib consumer', rawArgs('raw-amqp-consumer.cjs', profileArgs('raw')), {
          env: { ...env, RAW_AMQP_URL: url, RAW_PREFETCH: String(PREFETCH), RAW_QUEUE_ARGUMENTS: queueArguments },
          ready: /READY/,
        }),
    },
    nestRmq: {
      makePublisher: (url) => rawPublisher(url, { envelope: true }),
      start: (url) =>
        startProcess('Nest RMQ peer', peerArgs('nest-rmq-consumer.ts'), { env: peerEnv(url), ready: /READY/ }),
    },
    golevelup: {
      makePublisher: (url) => rawPublisher(url),
      start: (url) =>
        startProcess('golevelup peer', peerArgs('golevelup/golevelup-consumer.ts'), {
          env: peerEnv(url),
          ready: /READY/,
        }),
    },
  };
  const names = /** @type {Side[]} */ (Object.keys(SIDES));
  /**
   * @typedef {{ vhost: Awaited<ReturnType<typeof createVhost>>, url: string, process: import('./lib.cjs').StartedProcess,
   *   observer: Observer, publisher: Publisher }} SideState
   */
  const sides = /** @type {Record<Side, SideState>} */ ({});
  const brokerPid = await localBrokerPid(managementUrl);
  try {
    for (const name of names) {
      const vhost = await createVhost(`bench-${name}`);
      sides[name] = /** @type {SideState} */ ({ vhost, url: vhost.url });
      // Every side's message.handled events stored in the event log, as the project's consumer does.
      await declareEventLog(vhost.url);
      sides[name].process = await setups[name].start(vhost.url);
      if (pinning.enabled) pin(sides[name].process.pid, pinning.measured);
      await waitForConsumer(managementUrl, vhost.vhost, 'hello');
      sides[name].observer = await createObserver(vhost.url);
      sides[name].publisher = await setups[name].makePublisher(vhost.url);
    }
    // Warm-up: JIT, connections, queue leader, and the broker's first segments of every queue and log.
    // A whole saturation run per side: after 2,000 messages each, the first round was every side's
    // slowest (16–62 % more CPU per message than its median, in both of two runs).
    for (const side of Object.values(sides)) await saturation(side.publisher, side.observer, smoke ? 50 : count);

    /**
     * @typedef {{ rate: Awaited<ReturnType<typeof offeredRate>>[],
     *   saturation: Awaited<ReturnType<typeof withCpuPerMessage<Awaited<ReturnType<typeof saturation>>>>>[],
     *   oneAtATime: Awaited<ReturnType<typeof oneAtATime>>[] }} SideSamples
     */
    const samples = /** @type {Record<Side, SideSamples>} */ (
      Object.fromEntries(
        names.map((name) => [name, /** @type {SideSamples} */ ({ rate: [], saturation: [], oneAtATime: [] })]),
      )
    );
    /** @type {Awaited<ReturnType<typeof waitForQuiet>>[]} */
    const machine = [];
    for (let round = 0; round < rounds; round++) {
      // The smoke run only records the load: it runs beside other tests.
      machine.push(await waitForQuiet(`queue, round ${round + 1}/${rounds}`, { timeoutMs: smoke ? 0 : 120_000 }));
      // Rotate the order of the sides each round so machine noise hits them alike.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const side = sides[name];
        samples[name].saturation.push(
          await withCpuPerMessage({ consumer: side.process.pid, broker: brokerPid }, count, () =>
            saturation(side.publisher, side.observer, count),
          ),
        );
        samples[name].rate.push(await offeredRate(side.publisher, side.observer, rate, seconds));
        samples[name].oneAtATime.push(await oneAtATime(side.publisher, side.observer, sequential));
      }
    }
    /**
     * @param {SideSamples} s
     * @param {string} name
     */
    const cpu = (s, name) => median(s.saturation.map((x) => x.cpuUsPerMessage[name]));
    /**
     * @param {Side} name
     * @param {SideSamples} [s]
     */
    const summary = (name, s = samples[name]) => ({
      messagesPerSecond: median(s.saturation.map((x) => x.messagesPerSecond)),
      saturationP50Ms: median(s.saturation.map((x) => x.p50Ms)),
      saturationP99Ms: median(s.saturation.map((x) => x.p99Ms)),
      offeredRate: rate,
      offeredP50Ms: median(s.rate.map((x) => x.p50Ms)),
      offeredP99Ms: median(s.rate.map((x) => x.p99Ms)),
      oneAtATimeP50Ms: median(s.oneAtATime.map((x) => x.p50Ms)),
      oneAtATimeP99Ms: median(s.oneAtATime.map((x) => x.p99Ms)),
      // At saturation: the consumer process; this process (publisher and observer); the broker.
      consumerCpuUsPerMessage: cpu(s, 'consumer'),
      benchProcessCpuUsPerMessage: cpu(s, 'benchProcess'),
      brokerCpuUsPerMessage: cpu(s, 'broker'),
      // The headline figures over the rounds.
      consumerCpuSpread: spread(s.saturation.map((x) => x.cpuUsPerMessage['consumer'])),
      messagesPerSecondSpread: spread(s.saturation.map((x) => x.messagesPerSecond)),
      rssMiB: rssMiB(sides[name].process.pid),
    });
    const results = /** @type {Record<Side, ReturnType<typeof summary>>} */ (
      Object.fromEntries(names.map((n) => [n, summary(n)]))
    );
    const ratios = /** @type {Partial<Record<Side, number>>} */ (
      Object.fromEntries(
        names.slice(1).map((n) => [n, results.consumer.messagesPerSecond / results[n].messagesPerSecond]),
      )
    );
    return {
      prefetch: PREFETCH,
      publishWindow: PUBLISH_WINDOW,
      messagesPerSaturationRun: count,
      offeredRunSeconds: seconds,
      messagesOneAtATime: sequential,
      rounds,
      sides: SIDES,
      project: results.consumer,
      raw: results.raw,
      nestRmq: results.nestRmq,
      golevelup: results.golevelup,
      ratio: ratios.raw,
      ratios,
      consumerRssMiB: results.consumer.rssMiB,
      samples,
      machine,
    };
  } finally {
    for (const side of Object.values(sides)) {
      await side.publisher?.close().catch(() => undefined);
      await side.observer?.close().catch(() => undefined);
      await stopProcess(side.process);
      await side.vhost.delete().catch(() => undefined);
    }
  }
}

module.exports = { SIDES, benchQueue };
