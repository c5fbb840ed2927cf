// A throwaway certificate authority for TLS tests, made with the openssl command line: a CA, a server
// certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA, valid one day.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  caFile: string;
  caPem: string;
  server: { certFile: string; keyFile: string; /** key followed by certificate, as Kafka's PEM keystore wants */ keystoreFile: string };
  client: { certFile: string; keyFile: string; certPem: string; keyPem: string };
}

export function makeTestPki(dir: string): TestPki {
  const file = (name: string) => join(dir, name);
  const caFile = file('ca.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', caFile, '-days', '1',
    '-subj', '/CN=shadow-ai test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const issue = (name: string, extensions: string): { certFile: string; keyFile: string } => {
    const keyFile = file(`${name}.key`);
    const certFile = file(`${name}.pem`);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', file(`${name}.csr`), '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', caFile, '-CAkey', file('ca.key'), '-CAcreateserial',
      '-out', certFile, '-days', '1', '-extfile', file(`${name}.ext`)]);
    return { certFile, keyFile };
  };
  const server = issue('localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const keystoreFile = file('localhost-keystore.pem');
  writeFileSync(keystoreFile, readFileSync(server.keyFile, 'utf8') + readFileSync(server.certFile, 'utf8'));
  const client = issue('shadow-ai-client', 'extendedKeyUsage=clientAuth\n');
  return {
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    server: { ...server, keystoreFile },
    client: { ...client, certPem: readFileSync(client.certFile, 'utf8'), keyPem: readFileSync(client.keyFile, 'utf8') },
  };
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (apt-get install -y openssl): ${String(err)}`);
  }
}
