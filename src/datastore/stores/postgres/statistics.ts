/** The repository_statistics materialized view: analytics that are refreshed on demand, not on every write. */
import type { Executor } from './executor.js';

export interface RepositoryStatistics {
  repositoryId: string;
  name: string;
  refCount: number;
  lastRefUpdate: Date | null;
  eventCount: number;
  lastEventAt: Date | null;
  updatedAt: Date;
  /** When the view was last refreshed. */
  refreshedAt: Date;
}

interface StatisticsRow {
  repository_id: string;
  name: string;
  ref_count: string;
  last_ref_update: Date | null;
  event_count: string;
  last_event_at: Date | null;
  updated_at: Date;
  refreshed_at: Date;
}

const SELECT = 'SELECT * FROM repository_statistics';

/** Statistics as of the last refresh: of one repository, or of all in name order. */
export async function readStatistics(exec: Executor, repositoryId?: string): Promise<RepositoryStatistics[]> {
  const { rows } =
    repositoryId === undefined
      ? await exec.query<StatisticsRow>(`${SELECT} ORDER BY name`)
      : await exec.query<StatisticsRow>(`${SELECT} WHERE repository_id = $1`, [repositoryId]);
  return rows.map((r) => ({
    repositoryId: r.repository_id,
    name: r.name,
    refCount: Number(r.ref_count),
    lastRefUpdate: r.last_ref_update,
    eventCount: Number(r.event_count),
    lastEventAt: r.last_event_at,
    updatedAt: r.updated_at,
    refreshedAt: r.refreshed_at,
  }));
}
