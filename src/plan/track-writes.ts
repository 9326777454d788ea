/** What a tracked JSON tree tells its owner. */
export interface WriteListener {
  /**
   * `node` (an object or array of the tree) changed: inside its child at key `via`, or, with `via`
   * undefined, in a way that may touch any of its keys (a write to the node itself).
   */
  written(node: object, via: string | undefined): void;
  /**
   * A write made the tree something `written` cannot describe: one object in two places (or moved),
   * or a property defined rather than assigned. The owner must stop trusting what it derived.
   */
  lost(): void;
}

/** Where an object was last reached from. */
interface Link {
  readonly parent: object;
  readonly key: string;
}

/**
 * A view of a parsed JSON tree through which the shape writers change it in place. Every write is
 * reported for the object written and for each object above it, with the key it came through, so a
 * serialiser can keep the text of everything else. Knowing the path from the writers' own calls
 * would need each plan shape to report it; the view needs nothing from them. Reads return views too,
 * so writes at any depth are seen; the tree itself never holds a view.
 *
 * An object put where another object of the tree already is, or moved (as `splice` moves the
 * elements after the ones it removes), is reported as `lost`: a key recorded for it earlier could
 * then name the wrong place.
 */
export function trackWrites<T extends object>(root: T, listener: WriteListener): T {
  const links = new WeakMap<object, Link>();
  const views = new WeakMap<object, object>();
  const targets = new WeakMap<object, object>();

  const touch = (node: object): void => {
    listener.written(node, undefined);
    for (let link = links.get(node); link !== undefined; link = links.get(link.parent)) listener.written(link.parent, link.key);
  };
  const unwrap = (value: unknown): unknown => (isNode(value) ? (targets.get(value) ?? value) : value);

  const handler: ProxyHandler<object> = {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (!isNode(value) || typeof key !== 'string') return value;
      links.set(value, { parent: target, key });
      return view(value);
    },
    set(target, key, value: unknown) {
      const stored = unwrap(value);
      // The same object already somewhere in the tree: a write to it would change two places.
      if (isNode(stored) && (stored === root || (links.has(stored) && Reflect.get(target, key) !== stored))) listener.lost();
      touch(target);
      const done = Reflect.set(target, key, stored);
      if (isNode(stored) && typeof key === 'string') links.set(stored, { parent: target, key });
      return done;
    },
    deleteProperty(target, key) {
      touch(target);
      return Reflect.deleteProperty(target, key);
    },
    // Shape writers assign; a defined property could be a getter or hide a shared object.
    defineProperty(target, key, descriptor) {
      listener.lost();
      touch(target);
      return Reflect.defineProperty(target, key, descriptor);
    },
  };

  function view(target: object): object {
    let proxy = views.get(target);
    if (proxy === undefined) {
      proxy = new Proxy(target, handler);
      views.set(target, proxy);
      targets.set(proxy, target);
    }
    return proxy;
  }

  return view(root) as T;
}

function isNode(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
