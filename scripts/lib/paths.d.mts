export declare const root: string;
export declare const cacheDir: string;
export declare const dataDir: string;
export declare function say(message: string): void;
