/** Progress of a long operation, reported by phase (the CLI draws it as a bar). */
export interface Progress {
  phase: string;
  done: number;
  total: number;
}

export type ProgressListener = (progress: Progress) => void;
