const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A Kubernetes memory quantity in bytes: `512Mi` → 536870912, `1G` → 1e9, `1048576` → 1048576.
 * The schema check has already accepted the quantity; this only converts the usual forms.
 */
export function quantityToBytes(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^(\d+(?:\.\d+)?)([KMGTPE]i|[kMGTPE]?)$/.exec(quantity.trim());
  if (!match) {
    throw new Error(`unsupported memory quantity '${quantity}' (use e.g. 512Mi or 1G)`);
  }
  const [, amount, suffix] = match;
  return Number(amount) * (BINARY[suffix] ?? DECIMAL[suffix]);
}
