export declare const KUSTOMIZE_VERSION: string;
/** The binary named by $STEADFAST_KUSTOMIZE, or the one in the per-user cache. */
export declare function kustomizePath(): string;
/** The kustomize binary if it is there, without building anything. */
export declare function findKustomize(): string | undefined;
/** The pinned kustomize, built once with `go install` into the per-user cache if needed. */
export declare function ensureKustomize(): string;
