/**
 * A value built on first use and kept. Zod schemas cost real time to construct, and every command
 * imports every plan shape, so building them at import time made `--version` pay for all of them and
 * `status` for four shapes its plan does not have.
 */
export function once<T>(make: () => T): () => T {
  // Boxed so that a factory returning `undefined` is still built only once.
  let made: { readonly value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
