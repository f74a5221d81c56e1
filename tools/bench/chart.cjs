// Plain SVG bar charts for the benchmark report: one chart per section, panels side by side (e.g.
// throughput and p99), in each panel one group of horizontal bars per load level, one bar per side.
// No dependency: the markup is small and GitHub renders it inline.
'use strict';

const COLORS = ['#2563eb', '#9ca3af', '#f97316', '#a855f7', '#16a34a', '#6b7280'];
const PANEL_WIDTH = 380;
const LABEL_WIDTH = 70;
const BAR_HEIGHT = 14;
const BAR_GAP = 3;
const GROUP_GAP = 12;

/** @param {unknown} text */
const escape = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => /** @type {Record<string, string>} */ ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

/** @param {number} value */
function format(value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * @param {{ title: string, subtitle?: string, sides: Record<string, string>,
 *           panels: { title: string, groups: { label: string, values: Record<string, number> }[] }[] }} chart
 *   `sides` maps each side's key to its label, in bar order; a panel's values are keyed by side.
 * @returns {string} an SVG document
 */
function barChartSvg({ title, subtitle, sides, panels }) {
  const keys = Object.keys(sides);
  const top = subtitle ? 56 : 40;
  const legendRows = Math.ceil(keys.length / 3);
  const groups = Math.max(...panels.map((p) => p.groups.length));
  const groupHeight = keys.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
  const plotHeight = 24 + groups * groupHeight + (groups - 1) * GROUP_GAP;
  const width = panels.length * PANEL_WIDTH + 20;
  const height = top + plotHeight + 16 + legendRows * 18 + 10;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  if (subtitle) out.push(`<text x="10" y="40" fill="#4b5563">${escape(subtitle)}</text>`);
  panels.forEach((panel, p) => {
    const x0 = 10 + p * PANEL_WIDTH;
    const barX = x0 + LABEL_WIDTH;
    const barSpace = PANEL_WIDTH - LABEL_WIDTH - 60;
    const max = Math.max(...panel.groups.flatMap((g) => Object.values(g.values).filter(Number.isFinite)), 1e-9);
    out.push(`<text x="${x0}" y="${top + 10}" font-weight="bold">${escape(panel.title)}</text>`);
    panel.groups.forEach((group, g) => {
      const y0 = top + 24 + g * (groupHeight + GROUP_GAP);
      out.push(`<text x="${x0}" y="${y0 + groupHeight / 2 + 4}">${escape(group.label)}</text>`);
      keys.forEach((key, k) => {
        const value = group.values[key];
        const y = y0 + k * (BAR_HEIGHT + BAR_GAP);
        const w = Number.isFinite(value) ? Math.max(1, (value / max) * barSpace) : 0;
        out.push(
          `<rect x="${barX}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[k % COLORS.length]}"><title>${escape(`${sides[key]}: ${format(value)}`)}</title></rect>`,
          `<text x="${(barX + w + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 3}">${format(value)}</text>`,
        );
      });
    });
  });
  const legendY = top + plotHeight + 16;
  keys.forEach((key, k) => {
    const x = 10 + (k % 3) * 250;
    const y = legendY + Math.floor(k / 3) * 18;
    out.push(
      `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[k % COLORS.length]}"/>`,
      `<text x="${x + 17}" y="${y}">${escape(sides[key])}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/**
 * The charts of a benchmark run's results, by section: { grpc?: svg, queue?: svg }.
 * @param {import('./run.cjs').Results} results
 */
function sectionCharts(results) {
  /** @type {{ grpc?: string, queue?: string }} */
  const charts = {};
  if (results.grpc) {
    const g = results.grpc;
    /**
     * @param {string} title
     * @param {(summary: import('./grpc.cjs').SideSummary) => number} pick
     */
    const panel = (title, pick) => ({
      title,
      groups: g.rows.map((r) => ({
        label: `${r.inflight} in flight`,
        values: Object.fromEntries(
          /** @type {import('./grpc.cjs').Side[]} */ (Object.keys(g.sides)).map((s) => [s, pick(r[s])]),
        ),
      })),
    });
    charts.grpc = barChartSvg({
      title: 'gRPC unary SayHello',
      subtitle: `median of ${g.rounds} rotating runs of ${g.secondsPerRun} s, h2load, 1 connection`,
      sides: g.sides,
      panels: [panel('req/s (higher is better)', (s) => s.rps), panel('p99 ms (lower is better)', (s) => s.p99Ms)],
    });
  }
  if (results.queue) {
    const q = results.queue;
    /** @param {(summary: import('./queue.cjs').SideSummary) => number} pick */
    const values = (pick) =>
      Object.fromEntries(
        /** @type {import('./queue.cjs').Side[]} */ (Object.keys(q.sides)).map((s) => [
          s,
          pick(q[s === 'consumer' ? 'project' : s]),
        ]),
      );
    charts.queue = barChartSvg({
      title: 'Queue pipeline (quorum queue, persistent, confirms on both hops)',
      subtitle: `manual acks, prefetch ${q.prefetch}; median of ${q.rounds} rotating rounds`,
      sides: q.sides,
      panels: [
        {
          title: 'msg/s at saturation (higher is better)',
          groups: [{ label: 'saturation', values: values((s) => s.messagesPerSecond) }],
        },
        {
          title: 'e2e p99 ms (lower is better)',
          groups: [
            { label: `${q.project.offeredRate} msg/s`, values: values((s) => s.offeredP99Ms) },
            { label: 'one by one', values: values((s) => s.oneAtATimeP99Ms) },
          ],
        },
      ],
    });
  }
  return charts;
}

module.exports = { barChartSvg, sectionCharts };
