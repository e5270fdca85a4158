/**
 * DBSCAN over a precomputed distance matrix. Written here rather than taken from npm: the usual
 * package (density-clustering) has had no release since 2017 and ships untyped, and over a matrix the
 * algorithm is twenty lines.
 *
 * A point is a core point when at least `minPts` points (itself included) lie within `eps` of it;
 * a cluster is the core points reachable from one another through cores, with the border points
 * within `eps` of them. Returns each point's cluster number (0, 1, …, in order of each cluster's first
 * point) or -1 for noise. Deterministic: points are visited in index order.
 */
export function dbscan(dist: readonly (readonly number[])[], eps: number, minPts: number): number[] {
  const n = dist.length;
  const label: number[] = new Array<number>(n).fill(-2); // -2 unvisited, -1 noise
  const neighbours = (i: number): number[] => {
    const row = dist[i] ?? [];
    const out: number[] = [];
    for (let j = 0; j < n; j++) if ((row[j] ?? Infinity) <= eps) out.push(j);
    return out;
  };
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (label[i] !== -2) continue;
    const seeds = neighbours(i);
    if (seeds.length < minPts) {
      label[i] = -1;
      continue;
    }
    const cluster = next++;
    label[i] = cluster;
    for (let k = 0; k < seeds.length; k++) {
      const j = seeds[k] as number;
      if (label[j] === -1) label[j] = cluster; // noise reached from a core: a border point
      if (label[j] !== -2) continue;
      label[j] = cluster;
      const around = neighbours(j);
      if (around.length >= minPts) seeds.push(...around.filter((m) => label[m] === -2 || label[m] === -1));
    }
  }
  return label;
}
