import { ProcessedMessages } from './processed-messages';

describe('ProcessedMessages', () => {
  it('should remember ids up to its capacity, forgetting the oldest first', () => {
    const processed = new ProcessedMessages(2);
    processed.add('a');
    processed.add('b');
    processed.add('c');
    expect(processed.has('a')).toBe(false);
    expect(processed.has('b')).toBe(true);
    expect(processed.has('c')).toBe(true);
    expect(processed.size).toBe(2);
  });

  it('should count a re-added id as recent', () => {
    const processed = new ProcessedMessages(2);
    processed.add('a');
    processed.add('b');
    processed.add('a');
    processed.add('c');
    expect(processed.has('a')).toBe(true);
    expect(processed.has('b')).toBe(false);
  });

  it('should remember nothing with capacity 0', () => {
    const processed = new ProcessedMessages(0);
    processed.add('a');
    expect(processed.has('a')).toBe(false);
  });
});
