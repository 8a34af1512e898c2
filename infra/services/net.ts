import net from 'node:net';

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(
  url: string,
  timeoutMs = 2000,
  headers: Record<string, string> = {},
): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  await res.arrayBuffer();
  return res.ok;
}
