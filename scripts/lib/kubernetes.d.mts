export declare const KUBERNETES_VERSION: string;
export interface KubernetesBinaries {
  dir: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  etcd: string;
}
/** Where the binaries live: $STEADFAST_KUBE_BIN_DIR, or the per-user cache. */
export declare function kubernetesBinDir(): string;
/** The binaries if they are all there, without building or installing anything. */
export declare function findKubernetesBinaries(): KubernetesBinaries | undefined;
/** etcd (Debian's, installed if missing) and the Kubernetes binaries, built once into the cache if needed. */
export declare function ensureKubernetesBinaries(): KubernetesBinaries;
