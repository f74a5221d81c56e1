import { Metrics } from './metrics';

/** The sample lines of `name` in the text exposition (`name{labels} value` or `name value`). */
async function samples(metrics: Metrics, name: string): Promise<string[]> {
  const { body } = await metrics.render();
  return body.split('\n').filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
}

describe("an app's own metrics, made through Metrics", () => {
  it('should read a gauge at each scrape', async () => {
    const metrics = new Metrics();
    let pending = 3;
    metrics.gaugeFrom('app_pending', 'Pending things.', () => pending);
    expect(await samples(metrics, 'app_pending')).toEqual(['app_pending 3']);
    pending = 5;
    expect(await samples(metrics, 'app_pending')).toEqual(['app_pending 5']);
  });

  it('should report the total a counter kept elsewhere has reached, not a sum of the scrapes', async () => {
    const metrics = new Metrics();
    let total = 2;
    metrics.counterFrom('app_things_total', 'Things.', () => total);
    expect(await samples(metrics, 'app_things_total')).toEqual(['app_things_total 2']);
    total = 7;
    expect(await samples(metrics, 'app_things_total')).toEqual(['app_things_total 7']);
  });

  it('should report one series per label value of a labelled counter kept elsewhere', async () => {
    const metrics = new Metrics();
    const totals = { answered: 4, error_reply: 1 };
    metrics.labelledCounterFrom('app_requests_total', 'Requests.', 'outcome', () => totals);
    await metrics.render();
    totals.answered = 6;
    expect(await samples(metrics, 'app_requests_total')).toEqual([
      'app_requests_total{outcome="answered"} 6',
      'app_requests_total{outcome="error_reply"} 1',
    ]);
  });

  it('should give the same counter for the same name', async () => {
    const metrics = new Metrics();
    metrics.counter('app_sent_total', 'Sent.', ['type']).inc({ type: 'a' });
    metrics.counter('app_sent_total', 'Sent.', ['type']).inc({ type: 'a' }, 2);
    expect(await samples(metrics, 'app_sent_total')).toEqual(['app_sent_total{type="a"} 3']);
  });
});
