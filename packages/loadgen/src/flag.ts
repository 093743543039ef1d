import type { CliFlag } from '@socketlab/protocol/cli';
import type { SweepOptions } from './options.ts';

/** A loadgen flag: `option` is the SweepOptions field it sets; `default` is always shown in --help. */
export interface LoadgenFlag extends CliFlag {
  readonly option?: keyof SweepOptions;
  readonly default: string;
}
