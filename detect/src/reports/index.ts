export * from './monthly.report.ts';
export * from './report.csv.ts';
export * from './report.html.ts';
export * from './report.pdf.ts';
export * from './report.render.ts';
export * from './reports.store.ts';
export * from './report.service.ts';
