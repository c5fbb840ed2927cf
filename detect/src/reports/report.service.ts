import type { Logger } from '@shadow-ai/core';
import { buildMonthlyReport, monthOf, monthRange, previousMonth, type MonthlyReport, type ReportDeps } from './monthly.report.ts';
import { renderReport, type RenderedReport, type ReportFormat } from './report.render.ts';
import type { ReportStore, StoredReportMeta } from './reports.store.ts';

/** Stages of one report, for progress display: query the store, then render. */
export type ReportStage = 'query' | 'render' | 'store' | 'done';

/** Builds, renders and stores monthly reports; shared by the API, the CLI and the scheduler. */
export class ReportService {
  constructor(readonly deps: ReportDeps & { chromiumPath: string; store: ReportStore }) {}

  build(month: string): Promise<MonthlyReport> {
    return buildMonthlyReport(this.deps, month);
  }

  async render(month: string, format: ReportFormat, onStage?: (stage: ReportStage) => void): Promise<RenderedReport> {
    onStage?.('query');
    const report = await this.build(month);
    onStage?.('render');
    const out = await renderReport(report, format, { chromiumPath: this.deps.chromiumPath });
    onStage?.('done');
    return out;
  }

  async generate(month: string, format: ReportFormat, generatedBy: string, onStage?: (stage: ReportStage) => void): Promise<StoredReportMeta> {
    const rendered = await this.render(month, format, (s) => s !== 'done' && onStage?.(s));
    onStage?.('store');
    const saved = await this.deps.store.save(rendered, generatedBy);
    onStage?.('done');
    return saved;
  }
}

/** The month a scheduler running at `now` reports on: the previous one, once `day` of this month has come. */
export function dueMonth(now: Date, day: number): string | null {
  const current = monthOf(now);
  const lastDay = monthRange(current).days;
  return now.getUTCDate() >= Math.min(day, lastDay) ? previousMonth(current) : null;
}

/**
 * Generates last month's reports inside the running service. On the configured day of the month (or
 * any later day, so a service that was down that day catches up) each configured format that the store
 * does not hold yet is generated and stored; the store is the memory, so restarts never generate twice.
 */
export class ReportScheduler {
  private timer: NodeJS.Timeout | null = null;
  private first: NodeJS.Timeout | null = null;
  private running: Promise<StoredReportMeta[]> | null = null;

  constructor(
    private readonly deps: {
      service: ReportService;
      formats: readonly ReportFormat[];
      day: number;
      log: Logger;
      clock?: () => Date;
    },
  ) {}

  /** One check; concurrent calls share the run in progress. Returns what it generated. */
  tick(): Promise<StoredReportMeta[]> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(intervalMs: number, firstDelayMs = 0): void {
    const run = () =>
      void this.tick().catch((err: unknown) => this.deps.log.error({ err }, 'scheduled report generation failed'));
    this.first = setTimeout(() => {
      run();
      this.timer = setInterval(run, intervalMs);
      this.timer.unref();
    }, firstDelayMs);
    this.first.unref();
  }

  async stop(): Promise<void> {
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<StoredReportMeta[]> {
    const now = (this.deps.clock ?? (() => new Date()))();
    const month = dueMonth(now, this.deps.day);
    if (!month) return [];
    const out: StoredReportMeta[] = [];
    const failed: Error[] = [];
    // One format failing (say, no Chromium for the PDF) must not keep the others from being stored;
    // what failed is not in the store, so the next check tries it again.
    for (const format of this.deps.formats) {
      if (await this.deps.service.deps.store.has(month, format)) continue;
      try {
        const saved = await this.deps.service.generate(month, format, 'scheduler');
        this.deps.log.info({ month, format, id: saved.id, size: saved.size }, 'monthly report generated');
        out.push(saved);
      } catch (err) {
        failed.push(new Error(`${format}: ${(err as Error).message}`));
      }
    }
    if (failed.length > 0) throw new Error(`scheduled ${month} report failed: ${failed.map((e) => e.message).join('; ')}`);
    return out;
  }
}
