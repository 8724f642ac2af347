/** Compliance sizes for layered targets: the stores below run the suite at full size already; the layers change no size limit. */
export const LAYERED_SIZES = { manyObjects: 20_000, largeObjectBytes: 16 * 1024 ** 2 };
