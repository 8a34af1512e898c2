import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { MediaTextActivities } from '../../activities/media-text-types';
import type { SealActivities } from '../../activities/seal-types';
import {
  exportWorkflowId,
  mediaTextWorkflowId,
  resealWorkflowId,
  retentionWorkflowId,
} from '../../lib/temporal/contract';
import { fakeArchive, fakeExports, fakeListing, fakeReindex, fakeRetention } from './fake-activities';

/**
 * The runs recorded as replay fixtures for every workflow type but archiveTicket (which is
 * recorded end to end against the simulator): each drives the real workflow code on the real
 * Temporal dev server with the in-memory activities of fake-activities.ts, along its interesting
 * path (children, continue-as-new, holds, a failed render). `record-history.ts <name>` records one;
 * test/unit/workflow-replay.test.ts replays them all.
 */
export interface HistoryScenario {
  name: string;
  workflowType: string;
  workflowId: string;
  args: unknown[];
  activities: () => object;
  /** Which run of a continue-as-new chain to record (default the last). */
  runs: Array<'first' | 'last'>;
  /** How the recorded run ends. */
  ends: 'completed' | 'failed' | 'continued-as-new';
}

export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');

export const historyFile = (name: string, run: 'first' | 'last' = 'last') =>
  path.join(HISTORIES_DIR, run === 'first' ? `${name}-first-run.json` : `${name}.json`);

const tickets = (n: number, prefix: string, over: { held?: boolean; tenantId?: string } = {}) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(3, '0')}`,
    tenantId: over.tenantId ?? 'tenant-rec',
    contact: 'contact@example.test',
    closedDaysAgo: 400,
    held: over.held,
  }));

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  {
    name: 'export-ticket-pdf',
    workflowType: 'exportTicketPdf',
    workflowId: exportWorkflowId('tenant-rec', 'export-ticket'),
    args: [{ exportId: 'export-ticket', tenantId: 'tenant-rec', ticketId: 'ticket-1', requestedBy: 'agent' }],
    activities: () => fakeExports().activities,
    runs: ['last'],
    ends: 'completed',
  },
  {
    name: 'export-contact-pdf-failed',
    workflowType: 'exportContactPdf',
    workflowId: exportWorkflowId('tenant-rec', 'export-contact'),
    args: [
      {
        exportId: 'export-contact',
        tenantId: 'tenant-rec',
        identity: 'contact@example.test',
        requestedBy: 'agent',
      },
    ],
    activities: () =>
      fakeExports({ fail: ApplicationFailure.nonRetryable('contact has no tickets', 'ExportEmpty') })
        .activities,
    runs: ['last'],
    ends: 'failed',
  },
  {
    name: 'backfill-tenant',
    workflowType: 'backfillTenant',
    workflowId: 'backfill/tenant-rec/2025-06-01/2025-07-01',
    args: [
      {
        tenantId: 'tenant-rec',
        from: '2025-06-01T00:00:00.000Z',
        to: '2025-07-01T00:00:00.000Z',
        pageSize: 2,
        concurrency: 2,
        continueAsNewEvery: 2,
      },
    ],
    activities: () => ({
      ...fakeArchive({ mediaBatches: 1 }).activities,
      ...fakeListing(['b-0', 'b-1', 'b-2', 'b-3', 'b-4'], new Set(['b-1'])),
    }),
    // The first run starts children and continues as new; the last one finishes.
    runs: ['first', 'last'],
    ends: 'completed',
  },
  {
    name: 'reindex-search',
    workflowType: 'reindexSearch',
    workflowId: 'reindex/all',
    args: [{ batchSize: 2 }],
    activities: () => fakeReindex(5).activities,
    runs: ['last'],
    ends: 'completed',
  },
  {
    name: 'apply-retention',
    workflowType: 'applyRetention',
    workflowId: retentionWorkflowId('tenant-rec'),
    args: [{ tenantId: 'tenant-rec' }],
    activities: () =>
      fakeRetention({
        tickets: [...tickets(120, 'r'), ...tickets(2, 'held', { held: true })],
        retentionDays: { 'tenant-rec': 365 },
      }).activities,
    runs: ['last'],
    ends: 'completed',
  },
  {
    name: 'apply-retention-all',
    workflowType: 'applyRetentionAll',
    workflowId: retentionWorkflowId(),
    args: [],
    activities: () =>
      fakeRetention({
        tickets: [
          ...tickets(3, 'a', { tenantId: 'tenant-rec-a' }),
          ...tickets(2, 'b', { tenantId: 'tenant-rec-b' }),
        ],
        retentionDays: { 'tenant-rec-a': 30, 'tenant-rec-b': 30 },
      }).activities,
    runs: ['last'],
    ends: 'completed',
  },
  {
    name: 'erase-contact',
    workflowType: 'eraseContact',
    workflowId: 'erase/tenant-rec/0123456789abcdef/request-1',
    args: [{ tenantId: 'tenant-rec', identity: 'contact@example.test', requestedBy: 'dpo' }],
    activities: () =>
      fakeRetention({
        tickets: [...tickets(120, 'e'), ...tickets(2, 'held', { held: true })],
        retentionDays: {},
      }).activities,
    runs: ['last'],
    ends: 'completed',
  },
  {
    name: 'reseal-tickets',
    workflowType: 'resealTickets',
    workflowId: resealWorkflowId(),
    args: [{ batchSize: 2 }],
    activities: () => fakeReseal(3),
    runs: ['last'],
    ends: 'completed',
  },
  {
    name: 'extract-media-text',
    workflowType: 'extractMediaText',
    workflowId: mediaTextWorkflowId('tenant-rec', 'ticket-1'),
    args: [{ tenantId: 'tenant-rec', ticketId: 'ticket-1' }],
    activities: () => fakeMediaText(6),
    runs: ['last'],
    ends: 'completed',
  },
];

/** Six media read four at a time (two batches), one of them unreadable, then the ticket indexed. */
function fakeMediaText(n: number): MediaTextActivities {
  const shas = Array.from({ length: n }, (_, i) => `sha${i}`);
  return {
    async extractMediaTextBatch({ after }) {
      const start = after ? shas.indexOf(after) + 1 : 0;
      const batch = shas.slice(start, start + 4);
      return {
        read: batch.length,
        ok: batch.length - (batch.includes('sha1') ? 1 : 0),
        notOk: batch.includes('sha1') ? 1 : 0,
        next: batch.length === 4 ? (batch.at(-1) ?? null) : null,
      };
    },
    async indexMediaText() {
      return { indexedMessages: 6 };
    },
  };
}

/** Three v1 tickets resealed two at a time, one of them failing with its reason. */
function fakeReseal(n: number): SealActivities {
  const ids = Array.from({ length: n }, (_, i) => `r${String(i).padStart(3, '0')}`);
  return {
    async resealBatch({ after, limit }) {
      const start = after ? ids.indexOf(after.ticketId) + 1 : 0;
      const batch = ids.slice(start, start + limit);
      const last = batch.at(-1);
      return {
        resealed: batch.length - (batch.includes('r001') ? 1 : 0),
        failed: batch.includes('r001')
          ? [{ tenantId: 'tenant-rec', ticketId: 'r001', error: 'media object missing' }]
          : [],
        next: start + batch.length < ids.length && last ? { tenantId: 'tenant-rec', ticketId: last } : null,
      };
    },
  };
}
