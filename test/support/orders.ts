/** Order fixtures for the four business outcomes, and waiting for orders to settle. */
import type { TestSystem } from './system.ts';

export type Scenario = 'happy' | 'outOfStock' | 'declined' | 'cannotShip';

export const EXPECTED_STATUS: Record<Scenario, string> = {
  happy: 'completed',
  outOfStock: 'cancelled',
  declined: 'cancelled',
  cannotShip: 'cancelled',
};

export function orderFor(scenario: Scenario, n: number) {
  const item = (sku: string) => ({ sku, quantity: 1 + (n % 3), unitPriceCents: 100 + n });
  switch (scenario) {
    case 'happy':
      return { customerId: `cust-${n}`, items: [item(`SKU-${n % 7}`), item(`SKU-${(n + 1) % 7}`)] };
    case 'outOfStock':
      return { customerId: `cust-${n}`, items: [item(`SKU-${n % 7}`), item(`OOS-${n % 3}`)] };
    case 'declined':
      return { customerId: 'cust-declined', items: [item(`SKU-${n % 7}`)] };
    case 'cannotShip':
      return { customerId: `cust-${n}`, items: [item(`NOSHIP-${n % 5}`)] };
  }
}

export const SCENARIOS: Scenario[] = ['happy', 'outOfStock', 'declined', 'cannotShip'];

export interface Submitted {
  orderId: string;
  scenario: Scenario;
  totalCents: number;
}

/** Submit `count` orders cycling through the scenarios, `concurrency` at a time; keep only the 202s. */
export async function submitMix(system: TestSystem, count: number, concurrency = 20): Promise<Submitted[]> {
  const submitted: Submitted[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const scenario = SCENARIOS[n % SCENARIOS.length]!;
        const body = orderFor(scenario, n);
        const response = await system.api('/api/orders', { body }).catch(() => null);
        if (response?.status !== 202) continue;
        const totalCents = body.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
        submitted.push({ orderId: response.body.orderId, scenario, totalCents });
      }
    }),
  );
  return submitted;
}

const FINAL = new Set(['completed', 'cancelled', 'failed', 'stuck']);

/** Poll every order until none is running; returns each order as the API shows it. */
export async function waitUntilSettled(system: TestSystem, orderIds: string[], timeoutMs = 90_000): Promise<Map<string, any>> {
  const settled = new Map<string, any>();
  const deadline = Date.now() + timeoutMs;
  while (settled.size < orderIds.length && Date.now() < deadline) {
    const open = orderIds.filter((id) => !settled.has(id));
    for (let i = 0; i < open.length; i += 25) {
      await Promise.all(
        open.slice(i, i + 25).map(async (id) => {
          const response = await system.api(`/api/orders/${id}`).catch(() => null);
          if (response?.status === 200 && FINAL.has(response.body.status)) settled.set(id, response.body);
        }),
      );
    }
    if (settled.size < orderIds.length) await new Promise((r) => setTimeout(r, 250));
  }
  return settled;
}
