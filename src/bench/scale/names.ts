/** The scale runs of `govc bench scale`, by name. */
export const SCALE_RUNS = ['objects', 'repositories', 'connections', 'ops'] as const;
