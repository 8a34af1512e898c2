import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowsInThread } from '../../worker/workflow-bundle';

/**
 * The worker bundles its workflows once, in a thread (worker/workflow-bundle.ts), and gives the same
 * code to the archive queue's and the media-text queue's Workers.
 */
describe('bundleWorkflowsInThread', () => {
  test('returns one bundle that registers every workflow the worker serves', async () => {
    const { code } = await bundleWorkflowsInThread(require.resolve('../../workflows'));
    for (const name of [
      'archiveTicket',
      'extractMediaText',
      'exportTicketPdf',
      'backfillTenant',
      'reindexSearch',
      'eraseContact',
    ]) {
      expect(code).toContain(name);
    }
  });

  test('a workflow file that does not compile rejects with the bundler error, naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-bundle-'));
    const broken = path.join(dir, 'broken-workflows.ts');
    fs.writeFileSync(
      broken,
      "import { nothing } from './does-not-exist';\nexport async function w() { return nothing; }\n",
    );
    try {
      await expect(bundleWorkflowsInThread(broken)).rejects.toThrow(
        /workflow bundle failed: .*does-not-exist/s,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
