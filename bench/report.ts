/** What a bench case returns, and how results are printed. */
export interface CaseResult {
  name: string;
  rows: [string, string][];
  json: Record<string, number | string>;
}

export type Progress = (message: string) => void;

/** The JSON of the cases that ran before, merged: a case may build on an earlier one's measure. */
export type Results = Record<string, number | string>;

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 10) / 10;
}

export function table(results: CaseResult[]): string {
  const width = Math.max(...results.flatMap((r) => r.rows.map(([label]) => label.length)));
  return results
    .map((result) => [`## ${result.name}`, ...result.rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n'))
    .join('\n\n');
}
