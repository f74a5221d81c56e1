/** A RabbitMQ management API endpoint: base URL and the Authorization header of its credentials. */
export interface ManagementApi {
  readonly baseUrl: string;
  readonly authorization: string;
}

/** `RABBITMQ_MANAGEMENT_URL` (http://user:password@host:port) split for `fetch`, which refuses credentials in URLs. */
export function managementApi(raw = process.env['RABBITMQ_MANAGEMENT_URL']): ManagementApi {
  if (!raw) {
    throw new Error(
      'RABBITMQ_MANAGEMENT_URL is not set: run the tests through Jest (its global setup starts RabbitMQ) ' +
        'or set it to the management API of a broker, e.g. http://guest:guest@127.0.0.1:15672',
    );
  }
  const url = new URL(raw);
  const user = decodeURIComponent(url.username || 'guest');
  const password = decodeURIComponent(url.password || 'guest');
  url.username = '';
  url.password = '';
  return {
    baseUrl: url.toString().replace(/\/$/, ''),
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

/** Calls the management API; throws with the status and body when it does not answer 2xx. */
export async function managementRequest<T = unknown>(
  api: ManagementApi,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${api.baseUrl}/api/${path}`, {
    method,
    headers: {
      authorization: api.authorization,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`management API ${method} /api/${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
