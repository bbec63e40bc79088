/** What one `npm run bench` measured: written to bench/results.json, read by the report. */
import type { Curve } from './curves.ts';

export interface Row {
  tool: string;
  states: number;
  transitions: number;
  seconds: number;
  statesPerSecond: number;
  cpuSeconds: number;
  statesPerCpuSecond: number;
  peakRssBytes: number;
  bytesPerState: number;
  /** Ours only: bytes of the visited set and parent links, per state. */
  storeBytesPerState?: number;
  /** Node rows: (peak RSS - RSS before the search) / states, what each state added. */
  bytesPerStateAboveBaseline?: number;
  complete: boolean;
}

export interface Results {
  anchor: {
    config: { slots: number; seqMod: number; qlen: number };
    rows: Row[];
    ratioToSpin: number | null;
    ratioToXstateGraph: number | null;
    /** With 2 worker threads: states/s against SPIN, and against our single-thread row. */
    workersRatioToSpin: number | null;
    workersSpeedUp: number;
    cpuRatioToSpin: number | null;
    cpuRatioToXstateGraph: number | null;
    spinSkipped?: string;
    spinCommand?: string;
  };
  protocols: Curve[];
  machine: Machine;
}

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  spin: string;
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
  date: string;
}
