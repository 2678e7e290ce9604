// ncc's ESM output has no __dirname, which ssh2 reads at load time; this
// module must be the entry's first import so it runs before ssh2 loads.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const scope = globalThis as { __filename?: string; __dirname?: string };
scope.__filename ??= here;
scope.__dirname ??= dirname(here);
