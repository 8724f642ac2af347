/**
 * Records the largest Buffer allocation while a fuzz input runs, so a tiny
 * input that declares a huge size is caught even when the allocation would
 * succeed lazily (untouched pages do not show in rss) or fail with RangeError.
 */
type Alloc = (size: number, ...rest: never[]) => Buffer;
const NAMES = ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const;

/** Allocations at least `stackFrom` bytes large also keep the stack that made them. */
export function trackAllocations(stackFrom = Infinity): { readonly largest: number; readonly stack: string; stop(): void } {
  const originals = NAMES.map((name) => Buffer[name] as Alloc);
  const state = { largest: 0, stack: '' };
  NAMES.forEach((name, i) => {
    const original = originals[i];
    (Buffer as unknown as Record<string, Alloc>)[name] = (size: number, ...rest: never[]) => {
      if (typeof size === 'number' && size > state.largest) {
        state.largest = size;
        if (size >= stackFrom) state.stack = new Error().stack!.split('\n').slice(2, 7).join('\n');
      }
      return original.call(Buffer, size, ...rest);
    };
  });
  return {
    get largest() {
      return state.largest;
    },
    get stack() {
      return state.stack;
    },
    stop() {
      NAMES.forEach((name, i) => ((Buffer as unknown as Record<string, Alloc>)[name] = originals[i]));
    },
  };
}
