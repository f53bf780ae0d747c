/** What the orchestrator itself says about the system, read over HTTP: its overview counts and its Prometheus counters. */
import type { SagaStatus } from '../machines/index.ts';

export interface Overview {
  total: number;
  byStatus: Partial<Record<SagaStatus, number>>;
}

export async function overview(baseUrl: string): Promise<Overview & { catchingUp?: boolean }> {
  const response = await fetch(new URL('/api/overview', baseUrl));
  if (response.status !== 200) throw new Error(`GET /api/overview answered ${response.status}`);
  return (await response.json()) as Overview;
}

/** Each named counter of /metrics summed over all its labels (0 when the orchestrator has not counted it yet). */
export async function counterTotals<Name extends string>(baseUrl: string, names: readonly Name[]): Promise<Record<Name, number>> {
  const response = await fetch(new URL('/metrics', baseUrl));
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  const totals = Object.fromEntries(names.map((name) => [name, 0])) as Record<Name, number>;
  for (const line of text.split('\n')) {
    const name = names.find((n) => line.startsWith(`${n}{`) || line.startsWith(`${n} `));
    if (name) totals[name] += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return totals;
}
