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

/** The median and the range of a figure over rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export function spread(values: Array<number | undefined>): Spread | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const mid = Math.floor(known.length / 2);
  const median =
    known.length % 2 === 1 ? (known[mid] as number) : ((known[mid - 1] as number) + (known[mid] as number)) / 2;
  return { median, min: known[0] as number, max: known[known.length - 1] as number, rounds: known.length };
}

/**
 * Whether a ratio's rounds disagree on its direction: its range spans 1 (some rounds a win, some a loss), so the
 * median is quoted as neither.
 */
export function withinNoise(ratio: Spread): boolean {
  return ratio.rounds > 1 && ratio.min <= 1 && ratio.max >= 1;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Exponentially distributed gap for a Poisson stream of `ratePerSecond`, in ms. */
export function poissonGapMs(ratePerSecond: number): number {
  return (-Math.log(1 - Math.random()) / ratePerSecond) * 1000;
}

/**
 * Times `ours` and `control` in alternating rounds in this process (each once first, to warm up), and returns the
 * median nanoseconds per operation of each, `perRound` operations a call.
 */
export function sideBySide(
  ours: () => void,
  control: () => void,
  rounds: number,
  perRound: number,
): { oursNs: number; controlNs: number } {
  const time = (fn: () => void) => {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / perRound;
  };
  ours();
  control();
  const [a, b]: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    a.push(time(ours));
    b.push(time(control));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  return { oursNs: median(a), controlNs: median(b) };
}
