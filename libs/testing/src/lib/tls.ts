import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files made by `openssl` for one test: a CA, a server and a client certificate it signed. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA's certificate: what clients and servers are told to trust. */
  readonly caFile: string;
  /** Server certificate for `localhost` and 127.0.0.1 (subjectAltName), signed by the CA. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Client certificate (extendedKeyUsage clientAuth), signed by the CA. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  read(file: string): Buffer;
  remove(): void;
}

/**
 * Makes a fresh certificate authority with a server and a client certificate in a temporary folder.
 * Call it twice for a second, unrelated CA (the "wrong CA" of a test).
 */
export function makeTestCertificates(name = 'hello-mesh test'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'hello-tls-'));
  const file = (base: string) => join(dir, base);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name} CA`,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (base: string, subject: string, extensions: string) => {
    writeFileSync(file(`${base}.ext`), extensions);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${subject}`,
      '-keyout',
      file(`${base}.key`),
      '-out',
      file(`${base}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${base}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file(`${base}.ext`),
      '-out',
      file(`${base}.pem`),
    );
  };
  issue(
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  issue(
    'client',
    `${name} client`,
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );

  // Readable by a broker that runs as another user.
  chmodSync(dir, 0o755);
  for (const base of readdirSync(dir)) chmodSync(file(base), 0o644);
  return {
    dir,
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
