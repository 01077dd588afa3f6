/** Percentiles over latency samples, in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) return { count: 0, p50: Number.NaN, p99: Number.NaN, p999: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return {
    count: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[sorted.length - 1] as number,
  };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Exponentially distributed gap for a Poisson stream of `ratePerSecond`, in ms. */
export function poissonGapMs(ratePerSecond: number): number {
  return (-Math.log(1 - Math.random()) / ratePerSecond) * 1000;
}
