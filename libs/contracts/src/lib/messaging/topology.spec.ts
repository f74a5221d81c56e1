import { deadLetterQueueFor, queueOfDeadLetterQueue, Topology } from './topology';

describe('dead-letter queue names', () => {
  it('should name each queue’s dead-letter queue, and find the queue back from it', () => {
    for (const queue of [Topology.helloQueue, Topology.eventHandlerQueue, Topology.helloRpcQueue, 'work']) {
      expect(queueOfDeadLetterQueue(deadLetterQueueFor(queue))).toBe(queue);
    }
    expect(deadLetterQueueFor(Topology.eventHandlerQueue)).toBe(Topology.eventHandlerDeadLetterQueue);
    expect(deadLetterQueueFor(Topology.helloRpcQueue)).toBe(Topology.helloRpcDeadLetterQueue);
  });

  it('should say a queue that is no dead-letter queue is none', () => {
    expect(queueOfDeadLetterQueue('hello')).toBeUndefined();
    expect(queueOfDeadLetterQueue('work.retry.1')).toBeUndefined();
  });
});
