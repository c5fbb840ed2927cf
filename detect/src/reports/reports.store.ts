import { createHash, randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, toClickHouseTime } from '@shadow-ai/core';
import { REPORT_CONTENT_TYPES, reportFileName, type RenderedReport, type ReportFormat } from './report.render.ts';

export interface StoredReportMeta {
  id: string;
  month: string;
  format: ReportFormat;
  generatedAt: string;
  generatedBy: string;
  size: number;
  sha256: string;
}

export interface StoredReport extends StoredReportMeta {
  contentType: string;
  fileName: string;
  body: Buffer;
}

type Row = { id: string; month: string; format: ReportFormat; generated_at: string; generated_by: string; size: number | string; sha256: string };

const meta = (r: Row): StoredReportMeta => ({
  id: r.id,
  month: r.month,
  format: r.format,
  generatedAt: fromClickHouseTime(r.generated_at),
  generatedBy: r.generated_by,
  size: Number(r.size),
  sha256: r.sha256,
});

/** Generated reports (table `reports`), as they were sent. */
export class ReportStore {
  constructor(private readonly client: ClickHouseClient) {}

  async save(report: RenderedReport, generatedBy: string, at: Date = new Date()): Promise<StoredReportMeta> {
    const binary = report.format === 'pdf';
    const row = {
      id: randomUUID().replace(/-/g, '').slice(0, 20),
      month: report.month,
      format: report.format,
      generated_at: toClickHouseTime(at.toISOString()),
      generated_by: generatedBy,
      encoding: binary ? 'base64' : 'utf8',
      content: report.body.toString(binary ? 'base64' : 'utf8'),
      size: report.body.length,
      sha256: createHash('sha256').update(report.body).digest('hex'),
    };
    await this.client.insert({ table: 'reports', format: 'JSONEachRow', values: [row] });
    return meta(row);
  }

  async list(filter: { month?: string | undefined; format?: ReportFormat | undefined } = {}, limit = 100): Promise<StoredReportMeta[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit };
    if (filter.month) {
      where.push('month = {month:String}');
      params.month = filter.month;
    }
    if (filter.format) {
      where.push('format = {format:String}');
      params.format = filter.format;
    }
    const rows = await queryRows<Row>(
      this.client,
      `SELECT id, month, format, generated_at, generated_by, size, sha256 FROM reports ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY generated_at DESC, id LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map(meta);
  }

  async has(month: string, format: ReportFormat): Promise<boolean> {
    const rows = await queryRows<{ n: number | string }>(
      this.client,
      'SELECT count() AS n FROM reports WHERE month = {month:String} AND format = {format:String}',
      { month, format },
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  async get(id: string): Promise<StoredReport | null> {
    const rows = await queryRows<Row & { encoding: string; content: string }>(
      this.client,
      'SELECT id, month, format, generated_at, generated_by, size, sha256, encoding, content FROM reports WHERE id = {id:String} LIMIT 1',
      { id },
    );
    const r = rows[0];
    if (!r) return null;
    return {
      ...meta(r),
      contentType: REPORT_CONTENT_TYPES[r.format],
      fileName: reportFileName(r.month, r.format),
      body: Buffer.from(r.content, r.encoding === 'base64' ? 'base64' : 'utf8'),
    };
  }
}
