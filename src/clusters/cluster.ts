import { dbscan } from './dbscan.js';
import { DEFAULT_WEIGHTS, distance, normalised, type DistanceWeights } from './distance.js';
import { featuresOf, type ClusterSubject } from './features.js';

/**
 * Similar-alert clusters: incidents that are likely one problem although their correlation labels
 * differ (so the ingest path opened one incident each). Pure: the caller reads the incidents.
 */

export interface ClusterOptions {
  /** Largest distance at which two incidents are neighbours (DBSCAN's eps), in [0, 1]. */
  eps: number;
  /** Incidents within eps of one (itself included) that make it a core of a cluster (DBSCAN's minPts). */
  minPts: number;
  weights: DistanceWeights;
}

/**
 * Defaults chosen with bench:clusters on its tuning seeds (see docs/clusters.md): eps 0.32 joins
 * incidents opened minutes apart that share about half their label pairs and some of their words;
 * larger values chain unrelated problems of one service together. minPts 2 lets a pair be a cluster,
 * since two incidents of one problem are already worth a look.
 */
export const DEFAULT_OPTIONS: ClusterOptions = { eps: 0.32, minPts: 2, weights: DEFAULT_WEIGHTS };

/** At most this many incidents are clustered at once: the distance matrix is n². */
export const MAX_SUBJECTS = 500;

export interface Cluster<S extends ClusterSubject> {
  /** Members in the order given. */
  members: S[];
  /** Largest distance between two members. */
  diameter: number;
  /** Mean distance between members. */
  meanDistance: number;
}

export interface Clustering<S extends ClusterSubject> {
  /** Clusters of at least two incidents, largest first (then by first member). */
  clusters: Cluster<S>[];
  /** Incidents in no cluster. */
  noise: S[];
}

/** The pairwise distance matrix of some incidents. */
export function distanceMatrix(subjects: readonly ClusterSubject[], weights: DistanceWeights): number[][] {
  const w = normalised(weights);
  const features = subjects.map(featuresOf);
  const n = features.length;
  const d = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = distance(features[i]!, features[j]!, w);
      d[i]![j] = x;
      d[j]![i] = x;
    }
  }
  return d;
}

function checked(subjects: readonly ClusterSubject[], options: ClusterOptions): number[][] {
  if (subjects.length > MAX_SUBJECTS)
    throw new RangeError(`at most ${MAX_SUBJECTS} incidents are clustered at once`);
  if (!(options.eps >= 0 && options.eps <= 1)) throw new RangeError('eps is in [0, 1]');
  if (!Number.isInteger(options.minPts) || options.minPts < 1)
    throw new RangeError('minPts is an integer ≥ 1');
  return distanceMatrix(subjects, options.weights);
}

/** DBSCAN labels of some incidents (-1: noise); throws a RangeError past MAX_SUBJECTS or on bad options. */
export function clusterLabels(
  subjects: readonly ClusterSubject[],
  options: ClusterOptions = DEFAULT_OPTIONS,
): number[] {
  return dbscan(checked(subjects, options), options.eps, options.minPts);
}

/** Clusters some incidents; a cluster of one (possible with minPts 1) counts as noise. */
export function clusterIncidents<S extends ClusterSubject>(
  subjects: readonly S[],
  options: ClusterOptions = DEFAULT_OPTIONS,
): Clustering<S> {
  const d = checked(subjects, options);
  const labels = dbscan(d, options.eps, options.minPts);
  const groups = new Map<number, number[]>();
  labels.forEach((c, i) => groups.set(c, [...(groups.get(c) ?? []), i]));
  const clusters: Cluster<S>[] = [];
  const noise: S[] = [];
  for (const [c, idx] of groups) {
    if (c < 0 || idx.length < 2) noise.push(...idx.map((i) => subjects[i]!));
    else clusters.push({ members: idx.map((i) => subjects[i]!), ...spread(d, idx) });
  }
  clusters.sort((a, b) => b.members.length - a.members.length);
  return { clusters, noise };
}

function spread(d: number[][], idx: number[]): { diameter: number; meanDistance: number } {
  let max = 0;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < idx.length; a++) {
    for (let b = a + 1; b < idx.length; b++) {
      const x = d[idx[a]!]![idx[b]!]!;
      max = Math.max(max, x);
      sum += x;
      pairs++;
    }
  }
  return { diameter: round(max), meanDistance: round(pairs ? sum / pairs : 0) };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
