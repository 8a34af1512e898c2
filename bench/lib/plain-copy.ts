import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { eachLimited } from '../../lib/each-limited';
import { createGcsStore, createStorageClient, emulatorEndpoint } from '../../lib/storage/gcs-store';
import { runQueueSeconds } from './proc';

/**
 * The plain copy as its own process (`node --import tsx bench/lib/plain-copy.ts < job.json`): the
 * honest baseline for the media mirror, which can never run inside Blip's process. The in-process
 * copy of bench/media.ts shares a process (and an event loop) with the simulator it reads from;
 * this one has the same three processes as the mirror (simulator → this → emulator), minus the
 * worker's hashing, guards and Temporal. Prints one JSON line with its own seconds and CPU.
 *
 * Modes (for finding where the time goes, BENCH_MEDIA_PROBES=1 in bench/media.ts):
 * - `copy`: GET from the simulator, upload through the same storage client as the product;
 * - `put`: the same GET, uploaded as one plain `uploadType=media` POST to the emulator (no gaxios
 *   multipart), to see what the client library costs;
 * - `download`: GET and discard (the simulator's serving rate alone);
 * - `upload`: the same number of bytes from memory through the storage client (the emulator alone).
 */
interface Job {
  mode: 'copy' | 'put' | 'download' | 'upload';
  bucket: string;
  projectId: string;
  emulatorHost: string;
  parallelism: number;
  items: { url: string; contentType: string; size: number }[];
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input) as Job;
  const options = { bucket: job.bucket, projectId: job.projectId, emulatorHost: job.emulatorHost };
  const store = createGcsStore(createStorageClient(options), options);
  const endpoint = emulatorEndpoint(job.emulatorHost);
  const block = Buffer.alloc(1024 * 1024, 7);
  const cpu0 = process.cpuUsage();
  const wait0 = runQueueSeconds(process.pid);
  const t0 = performance.now();
  await eachLimited(job.items, job.parallelism, async (item) => {
    const key = `bench/copy/${randomUUID()}`;
    if (job.mode === 'upload') {
      const body = Readable.from(
        (function* () {
          for (let left = item.size; left > 0; left -= block.length)
            yield left >= block.length ? block : block.subarray(0, left);
        })(),
      );
      await store.put(key, body, { contentType: item.contentType });
      return;
    }
    const res = await request(item.url);
    if (res.statusCode !== 200) throw new Error(`simulator answered ${res.statusCode}`);
    if (job.mode === 'download') {
      for await (const _ of res.body);
    } else if (job.mode === 'copy') {
      await store.put(key, Readable.from(res.body), { contentType: item.contentType });
    } else {
      const url = `${endpoint}/upload/storage/v1/b/${job.bucket}/o?uploadType=media&name=${encodeURIComponent(key)}`;
      const up = await request(url, {
        method: 'POST',
        headers: { 'content-type': item.contentType, 'content-length': String(item.size) },
        body: res.body,
      });
      const text = await up.body.text();
      if (up.statusCode !== 200) throw new Error(`emulator answered ${up.statusCode}: ${text.slice(0, 200)}`);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const waitSeconds = runQueueSeconds(process.pid) - wait0;
  process.stdout.write(
    `${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, waitSeconds })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
