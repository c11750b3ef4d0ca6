import fs from 'node:fs';

/** A certificate chain and its key, PEM (TLS_CERT and TLS_KEY name the files). */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Built-in TLS: cameras, microphones, voice recording, service workers and
 * push work only in a secure context, so a deployment without a TLS proxy
 * in front serves HTTPS itself. Both variables or neither; a file that
 * cannot be read stops the start with the variable's name.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsFiles | undefined {
  const certFile = env.TLS_CERT;
  const keyFile = env.TLS_KEY;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error('TLS_CERT and TLS_KEY go together: set both (PEM files) or neither');
  const read = (file: string, name: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
  };
  return { cert: read(certFile, 'TLS_CERT'), key: read(keyFile, 'TLS_KEY') };
}
