/** The shape of a benchmark run's results, shared by the runner, the cost summary and the report. */

import type { AcceptPathResult } from "./accept-path.js";
import type { CostSummary } from "./cost-model.js";
import type { HotPathResult } from "./hot-path.js";
import type { PairedJoinsResult } from "./paired-joins.js";
import type { S5Result } from "./scenario-calls.js";
import type { S1Result, S2Result, S3Result, S4Result } from "./scenarios.js";

export interface ServerResult {
  id: string;
  label: string;
  s1?: S1Result;
  s2?: S2Result[];
  s3?: S3Result[];
  s4?: S4Result;
  s5?: S5Result;
  generatorCpuShare?: number;
  error?: string;
  /**
   * Every round's own result, in the order run (servers take turns round by round): each figure in the report is
   * the median of its rounds, shown with their spread. Absent in a report of one round.
   */
  rounds?: ServerResult[];
}

export type BenchReport = {
  mode: string;
  date: string;
  durationSeconds: number;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string };
  raisedLimitsForS3S4: Record<string, string>;
  hotPath: HotPathResult[];
  /** The connection path in process (open, register, close), where a run measured it. */
  acceptPath?: AcceptPathResult[];
  /** S1's CPU per connection against the control's, both servers up and the joins alternating, where measured. */
  joinPairs?: PairedJoinsResult;
  results: ServerResult[];
  cost: CostSummary | undefined;
};
