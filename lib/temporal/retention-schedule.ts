import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { RETENTION_SCHEDULE_ID, retentionWorkflowId, WORKFLOW } from './contract';

/**
 * Creates or updates the Temporal schedule that starts applyRetentionAll (daily by default):
 * visible, pausable and triggerable in the Temporal UI, overlapping runs skipped. Idempotent; the
 * worker calls it on start with RETENTION_CRON, the CLI with `retention schedule`.
 */
export async function ensureRetentionSchedule(
  temporal: Client,
  args: { taskQueue: string; cron: string },
): Promise<{ scheduleId: string; created: boolean }> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: WORKFLOW.applyRetentionAll,
    args: [],
    taskQueue: args.taskQueue,
    workflowId: retentionWorkflowId(),
  };
  try {
    await temporal.schedule.create({
      scheduleId: RETENTION_SCHEDULE_ID,
      spec: { cronExpressions: [args.cron] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
    return { scheduleId: RETENTION_SCHEDULE_ID, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({
      ...previous,
      spec: { cronExpressions: [args.cron] },
      action,
    }));
    return { scheduleId: RETENTION_SCHEDULE_ID, created: false };
  }
}
