import type { DesignLabel } from '@socketlab/results';
import type { CellStats } from './analysis.ts';
import type { Comparison } from '@socketlab/results';
import type { LoadedInput } from './load.ts';

/** One design × workload × N cell found in both files. */
export interface CellComparison {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
  readonly base: CellStats;
  readonly new: CellStats;
  /** NEW ÷ BASE of the median total time; null when either has no complete run. */
  readonly totalRatio: number | null;
  /** NEW ÷ BASE of the p99 task latency (each from its cell's runs' histograms added); null when either has none. */
  readonly p99Ratio: number | null;
  /** NEW ÷ BASE of the median server CPU per run; null when either was not measured. */
  readonly serverCpuRatio: number | null;
  /** NEW against BASE by the comparison rule (`faster`: NEW's times are lower); `withheld` when a run of either cell was noisy. */
  readonly verdict: Comparison['verdict'] | 'withheld';
  /** What decided: the rule's test, or `noisy`. */
  readonly by: Comparison['by'] | 'noisy';
  /** The rank test's p-value; null when another test decided. */
  readonly p: number | null;
  /** Slower, with totalRatio above 1 + failOnRegression. */
  readonly regression: boolean;
}

/** A cell one file has and the other does not. */
export interface CellKey {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
}

/** A machine or configuration property that differs between BASE and NEW, in words. */
export interface Difference {
  readonly what: string;
  readonly base: string;
  readonly new: string;
}

/** The comparison, as numbers. */
export interface SweepComparison {
  readonly base: LoadedInput;
  readonly new: LoadedInput;
  /** How the page names the files (see fileNames). */
  readonly names: { readonly base: string; readonly new: string };
  /** Cells in both, in workload (BASE's order, then NEW's), design (catalogue order), N order. */
  readonly cells: readonly CellComparison[];
  readonly onlyInBase: readonly CellKey[];
  readonly onlyInNew: readonly CellKey[];
  /** Where the machines differ (CPU, cores, memory, OS, kernel, Node.js). Results record no host name. */
  readonly machine: readonly Difference[];
  /** Where the configurations differ (timeScale, workloads, runs, tasks per client, client mode, server lifecycle, pool size). */
  readonly config: readonly Difference[];
  readonly failOnRegression: number | null;
  /** The cells beyond the threshold (empty without one). */
  readonly regressions: readonly CellComparison[];
  readonly counts: { readonly faster: number; readonly slower: number; readonly tie: number; readonly withheld: number };
  /** Whether each file recorded noise for every run (files before loadgen 0.3 did not). */
  readonly noiseRecorded: { readonly base: boolean; readonly new: boolean };
}
