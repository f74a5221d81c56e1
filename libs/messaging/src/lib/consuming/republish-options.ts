import type { MessageProperties, Options } from 'amqplib';

/**
 * The publish options that carry a delivered message's properties over to a copy of it (a retry or
 * dead-letter copy, a re-drive), persistent, with `headers` in place of the original's.
 */
export function republishOptions(properties: MessageProperties, headers: Record<string, unknown>): Options.Publish {
  return {
    persistent: true,
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    messageId: properties.messageId,
    correlationId: properties.correlationId,
    type: properties.type,
    appId: properties.appId,
    timestamp: properties.timestamp,
    priority: properties.priority,
    replyTo: properties.replyTo,
    headers,
  };
}
