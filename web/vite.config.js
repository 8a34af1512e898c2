import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [sveltekit()],
  // The workspace hoists cookie@2 (fastify's) to the root node_modules, while @sveltejs/kit needs its
  // own nested cookie@0.6: bundle it into the server build so it resolves from kit's folder.
  ssr: { noExternal: ['cookie'] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // Dates are shown in the reader's local time: the tests fix it so they mean the same anywhere.
    env: { TZ: 'UTC' },
  },
});
