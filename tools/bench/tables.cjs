'use strict';
/**
 * The benchmark's printed output: one Markdown table per section with the spread over the rounds,
 * the headline figures of a run by name, and how far they moved from an earlier run (`--compare`).
 */

/** @type {(n: number | undefined, digits?: number) => string} */
const fmt = (n, digits = 0) => (Number.isFinite(n) ? /** @type {number} */ (n).toFixed(digits) : 'n/a');
/**
 * A figure over the rounds: `median (min–max)`, or the median alone after one round.
 * @typedef {ReturnType<typeof import('./rounds.cjs').spread>} Spread
 * @type {(s: Spread | undefined, digits?: number) => string}
 */
const fmtSpread = (s, digits = 0) =>
  !s
    ? 'n/a'
    : s.n > 1
      ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
      : fmt(s.median, digits);
/**
 * One line on the rounds' conditions: the widest spread of the headline figure, and the load seen.
 * @param {(Spread | undefined)[]} spreads
 * @param {Awaited<ReturnType<typeof import('./rounds.cjs').waitForQuiet>>[]} machine
 */
function roundsLine(spreads, machine) {
  const widest = Math.max(...spreads.filter((s) => s && s.n > 1).map((s) => /** @type {Spread} */ (s).spreadPct));
  const loads = machine.map((m) => m.load1);
  const noisy = machine.filter((m) => m.noisy).length;
  return (
    `rounds: widest spread of the headline figure ${Number.isFinite(widest) ? `${fmt(widest, 1)} %` : 'n/a (one round)'}; ` +
    `load average ${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)} at the rounds' start` +
    (noisy ? `; ${noisy} of ${machine.length} rounds started on a busy machine` : '')
  );
}

/**
 * @typedef {import('./run.cjs').Results} Results
 * @typedef {import('./grpc.cjs').Side} GrpcSide
 * @typedef {import('./queue.cjs').Side} QueueSide
 * @param {Results} results
 */
function table(results) {
  /** @type {string[]} */
  const lines = [];
  /** @param {...(string | number)} cells */
  const row = (...cells) => lines.push(`| ${cells.join(' | ')} |`);
  /** @type {(p50: number, p99: number, digits?: number) => string} */
  const lat = (p50, p99, digits = 2) => `${fmt(p50, digits)} / ${fmt(p99, digits)}`;
  if (results.grpc) {
    const g = results.grpc;
    lines.push(`gRPC unary SayHello (${g.loadGenerator}, median of ${g.rounds} rotating runs of ${g.secondsPerRun} s)`);
    row('in flight', 'side', 'req/s', 'p50 / p99 ms', 'CPU µs/req median (min–max)', 'greeter / side');
    row('---', '---', '---', '---', '---', '---');
    for (const r of g.rows) {
      for (const [key, label] of /** @type {[GrpcSide, string][]} */ (Object.entries(g.sides))) {
        const s = r[key];
        row(
          r.inflight,
          label,
          fmt(s.rps),
          lat(s.p50Ms, s.p99Ms),
          s.cpuSpread ? fmtSpread(s.cpuSpread) : fmt(s.cpuUsPerRequest),
          key === 'greeter' ? '' : `${fmt(r.ratios[key], 2)}×`,
        );
      }
    }
    lines.push(
      roundsLine(
        g.rows.flatMap((r) => /** @type {GrpcSide[]} */ (Object.keys(g.sides)).map((key) => r[key].cpuSpread)),
        g.rows.flatMap((r) => r.machine ?? []),
      ),
      '',
    );
  }
  if (results.queue) {
    const q = results.queue;
    lines.push(
      `Queue pipeline (quorum queue, persistent, confirms on both hops, manual acks, prefetch ${q.prefetch}; median of ${q.rounds} rotating rounds)`,
    );
    row(
      'side',
      'msg/s at saturation',
      `e2e p50 / p99 ms at ${q.project.offeredRate} msg/s`,
      'e2e p50 / p99 ms, one at a time',
      'CPU µs/msg consumer median (min–max) · publisher · broker',
      'project / side',
    );
    row('---', '---', '---', '---', '---', '---');
    for (const [key, label] of /** @type {[QueueSide, string][]} */ (Object.entries(q.sides))) {
      const s = key === 'consumer' ? q.project : q[key];
      row(
        label,
        fmt(s.messagesPerSecond),
        lat(s.offeredP50Ms, s.offeredP99Ms, 1),
        lat(s.oneAtATimeP50Ms, s.oneAtATimeP99Ms),
        `${s.consumerCpuSpread ? fmtSpread(s.consumerCpuSpread) : fmt(s.consumerCpuUsPerMessage)} · ${fmt(s.benchProcessCpuUsPerMessage)} · ${fmt(s.brokerCpuUsPerMessage)}`,
        key === 'consumer' ? '' : `${fmt(q.ratios[key], 2)}×`,
      );
    }
    lines.push(
      roundsLine(
        /** @type {QueueSide[]} */ (Object.keys(q.sides)).map(
          (key) => (key === 'consumer' ? q.project : q[key]).consumerCpuSpread,
        ),
        q.machine ?? [],
      ),
      '',
    );
  }
  if (results.e2e) {
    const e = results.e2e;
    lines.push(
      `End to end: SayHello until GET /greetings/:name shows it (${e.calls} calls): p50 ${fmt(e.p50Ms, 1)} ms, p99 ${fmt(e.p99Ms, 1)} ms`,
      '',
    );
  }
  if (results.memory) {
    const m = results.memory;
    row(
      'RSS MiB',
      `after ${m.warmupMessages} messages`,
      `after ${m.atHalfMiB.messages}`,
      `after ${m.messages}`,
      `growth over the second half`,
    );
    row('---', '---', '---', '---', '---');
    for (const [name, key] of /** @type {const} */ ([
      ['consumer', 'consumer'],
      ['event-handler', 'eventHandler'],
    ])) {
      row(
        name,
        fmt(m.afterWarmupMiB[key], 1),
        fmt(m.atHalfMiB[key], 1),
        fmt(m.afterAllMiB[key], 1),
        `${fmt(m.afterAllMiB[key] - m.atHalfMiB[key], 1)} MiB`,
      );
    }
    lines.push(
      `series (messages: consumer / event-handler MiB): ${m.series.map((s) => `${s.messages}: ${fmt(s.consumer)}/${fmt(s.eventHandler)}`).join(', ')}`,
      '',
    );
  }
  if (results.projections) {
    const p = results.projections;
    lines.push(
      `event-handler through the real queue: a backlog of ${p.events} events (half greetings, half message.handled), prefetch ${p.prefetch}; median of ${p.rounds} alternating rounds`,
    );
    row('database', 'events/s', 'rounds');
    row('---', '---', '---');
    for (const [name, label] of [
      ['sqlite', 'SQLite (file, WAL, synchronous=FULL)'],
      ['postgres', 'PostgreSQL, 1 replica'],
      ['postgresTwoReplicas', 'PostgreSQL, 2 replicas'],
    ]) {
      const s = p.sides[name];
      row(label, fmt(s.eventsPerSecond), s.rounds.map((r) => fmt(r)).join(', '));
    }
    lines.push('');
  }
  if (results.replay) {
    const r = results.replay;
    lines.push(
      `rebuilding every projection from the event log (${r.events} entries) against applying events live (${r.live} through the queue), same database; median of ${r.rounds} rounds`,
    );
    row('database', 'live events/s', 'rebuild entries/s', 'rebuild / live', 'rebuild time', 'stream per 10^6 events');
    row('---', '---', '---', '---', '---', '---');
    for (const [name, label, target] of [
      ['sqlite', 'SQLite', 'target ≥ 10×, ≤ 20 s'],
      ['postgres', 'PostgreSQL', 'target ≥ 5×, ≤ 60 s'],
    ]) {
      const s = r.sides[name];
      row(
        label,
        fmt(s.liveEventsPerSecond),
        fmt(s.rebuildEntriesPerSecond),
        `${fmt(s.ratio, 1)}× (${target})`,
        `${fmt(s.rebuildSeconds, 1)} s`,
        s.streamMiBPerMillion === undefined ? 'n/a' : `${fmt(s.streamMiBPerMillion)} MiB`,
      );
    }
    lines.push('');
  }
  if (results.rpc) lines.push(require('./rpc.cjs').rpcTable(results.rpc, fmt));
  if (results.footprint) {
    const f = results.footprint;
    /** @type {Record<string, number | undefined>} */
    const after = {
      greeter: f.apps.greeter.afterMessagesRssMiB,
      producer: f.apps.producer.afterMessagesRssMiB,
      consumer: results.memory?.afterAllMiB.consumer,
      eventHandler: results.memory?.afterAllMiB.eventHandler,
    };
    lines.push(
      `Start-up and footprint (median of ${f.rounds} starts; RSS after ${f.messages} messages: greeter and producer here, consumer and event-handler from the memory section)`,
    );
    row(
      'process',
      'start → ready ms median (min–max)',
      'CPU ms until ready',
      'RSS idle MiB',
      `RSS after ${f.messages} messages MiB`,
    );
    row('---', '---', '---', '---', '---');
    for (const [key, a] of Object.entries(f.apps))
      row(
        a.label,
        a.readySpread ? fmtSpread(a.readySpread) : fmt(a.readyMs),
        a.readyCpuSpread ? fmtSpread(a.readyCpuSpread) : fmt(a.readyCpuMs),
        fmt(a.idleRssMiB, 1),
        key in after ? fmt(after[key], 1) : '',
      );
    // Only for the greeter and the producer, which the footprint section gives a series.
    /** @param {{ rssSeries?: { messages: number, rssMiB: number }[] }} a */
    const series = (a) =>
      /** @type {{ messages: number, rssMiB: number }[]} */ (a.rssSeries)
        .map((s) => `${s.messages}: ${fmt(s.rssMiB)}`)
        .join(', ');
    lines.push(
      `RSS series (messages: MiB): greeter ${series(f.apps.greeter)}; producer ${series(f.apps.producer)}`,
      '',
    );
  }
  return lines.join('\n');
}

/**
 * The headline figures of a run, by name: CPU per operation, throughput, start-up and idle memory.
 * @param {Results} results
 * @returns {Record<string, number>}
 */
function headlines(results) {
  /** @type {Record<string, number>} */
  const figures = {};
  const grpc = results.grpc;
  for (const r of grpc?.rows ?? []) {
    for (const side of /** @type {GrpcSide[]} */ (Object.keys(grpc?.sides ?? {}))) {
      figures[`grpc ${side} @${r.inflight} CPU µs/req`] = r[side].cpuUsPerRequest;
      figures[`grpc ${side} @${r.inflight} req/s`] = r[side].rps;
    }
  }
  if (results.queue) {
    for (const side of /** @type {QueueSide[]} */ (Object.keys(results.queue.sides))) {
      const s = side === 'consumer' ? results.queue.project : results.queue[side];
      figures[`queue ${side} CPU µs/msg`] = s.consumerCpuUsPerMessage;
      figures[`queue ${side} msg/s`] = s.messagesPerSecond;
    }
  }
  for (const [key, a] of Object.entries(results.footprint?.apps ?? {})) {
    figures[`footprint ${key} ready ms`] = a.readyMs;
    figures[`footprint ${key} CPU ms until ready`] = a.readyCpuMs;
    figures[`footprint ${key} idle RSS MiB`] = a.idleRssMiB;
  }
  return figures;
}

/**
 * Each headline figure of both runs and how far apart they are (in % of the earlier one).
 * @param {Record<string, number>} before
 * @param {Record<string, number>} after
 */
function compareTable(before, after) {
  const lines = [
    '',
    'Against the earlier run',
    '| figure | earlier | this run | difference |',
    '| --- | --- | --- | --- |',
  ];
  let widest = 0;
  for (const [name, was] of Object.entries(before)) {
    const now = after[name];
    if (!Number.isFinite(was) || !Number.isFinite(now)) continue;
    const diff = ((now - was) / was) * 100;
    widest = Math.max(widest, Math.abs(diff));
    lines.push(`| ${name} | ${fmt(was, 1)} | ${fmt(now, 1)} | ${diff >= 0 ? '+' : ''}${fmt(diff, 1)} % |`);
  }
  lines.push(`widest difference: ${fmt(widest, 1)} %`, '');
  return `${lines.join('\n')}\n`;
}

module.exports = { table, headlines, compareTable };
