import { renderCsv } from './report.csv.ts';
import { renderHtml } from './report.html.ts';
import { renderPdf } from './report.pdf.ts';
import type { MonthlyReport } from './monthly.report.ts';

export const REPORT_FORMATS = ['html', 'pdf', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export interface RenderedReport {
  month: string;
  format: ReportFormat;
  contentType: string;
  fileName: string;
  body: Buffer;
  /** for HTML: the Content-Security-Policy that lets its inline script and style run */
  csp: string | null;
}

export function reportFileName(month: string, format: ReportFormat): string {
  return `shadow-ai-report-${month}.${format}`;
}

export async function renderReport(report: MonthlyReport, format: ReportFormat, opts: { chromiumPath: string }): Promise<RenderedReport> {
  const base = { month: report.month, format, contentType: REPORT_CONTENT_TYPES[format], fileName: reportFileName(report.month, format) };
  switch (format) {
    case 'json':
      return { ...base, body: Buffer.from(JSON.stringify(report, null, 2) + '\n'), csp: null };
    case 'csv':
      return { ...base, body: Buffer.from(renderCsv(report)), csp: null };
    case 'html': {
      const { html, csp } = renderHtml(report);
      return { ...base, body: Buffer.from(html), csp };
    }
    case 'pdf':
      return { ...base, body: await renderPdf(renderHtml(report).html, opts), csp: null };
  }
}
