// Small statistics and formatting helpers for the benchmark.

/** Median of the finite numbers in `values` (mean of the middle two for an even count); null if none. */
export function median(values) {
  const xs = values
    .filter((v) => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export function min(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  return xs.length ? Math.min(...xs) : null;
}

export function max(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  return xs.length ? Math.max(...xs) : null;
}

/**
 * Median of the per-pair ratios a[i]/b[i] (pairs run back to back, so each
 * ratio sees the same machine load), and the ratio of the medians.
 */
export function ratios(a, b) {
  const perPair = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i]) && b[i] > 0) perPair.push(a[i] / b[i]);
  }
  const ma = median(a);
  const mb = median(b);
  return {
    ratioOfMedians: ma !== null && mb ? ma / mb : null,
    medianOfRatios: median(perPair),
    perPair,
  };
}

/** Summary of a series in ms: median, min, max, n and the raw values. */
export function summary(values) {
  return { median: median(values), min: min(values), max: max(values), n: values.length, values };
}

export const fmtMs = (ms) =>
  ms === null || ms === undefined || !Number.isFinite(ms)
    ? '—'
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${Math.round(ms)} ms`;

export const fmtRatio = (r) =>
  r === null || r === undefined || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`;

export const fmtMiB = (kib) =>
  kib === null || kib === undefined ? '—' : `${(kib / 1024).toFixed(1)} MiB`;

export const fmtBytes = (bytes) =>
  bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(2)} MiB`
    : `${(bytes / 1024).toFixed(0)} KiB`;

export const round = (x, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? null
    : Math.round(x * 10 ** digits) / 10 ** digits;
