/**
 * The hand-built IR helper (ir.ts) is typed by op: attributes are OpAttrs[K] for the op named,
 * so a misspelled, missing or wrongly typed attribute does not compile. The `@ts-expect-error`
 * lines below are the test — `npm run typecheck` fails ("unused directive") if the helper ever
 * accepts them again; at run time the helper must hand the attributes through untouched.
 */
import { describe, expect, it } from 'vitest';
import { node } from './ir.js';

describe('test IR helper node()', () => {
  it('passes typed attributes through and defaults attribute-less ops to {}', () => {
    const l = node('l', 'LeakyRelu', ['x'], ['y'], { alpha: 0.25 });
    expect(l).toEqual({ name: 'l', op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: 0.25 } });
    expect(node('r', 'Relu', ['x'], ['y']).attrs).toEqual({});
    const c = node('c', 'Concat', ['a', 'b'], ['y'], { axis: -1 });
    expect(c.attrs.axis).toBe(-1);
  });

  it('rejects misspelled, missing and mistyped attributes at compile time', () => {
    const bad = [
      // @ts-expect-error 'alhpa' is not an attribute of LeakyRelu
      node('l', 'LeakyRelu', ['x'], ['y'], { alhpa: 0.25 }),
      // @ts-expect-error LeakyRelu needs its alpha
      node('l', 'LeakyRelu', ['x'], ['y']),
      // @ts-expect-error axis is a number
      node('c', 'Concat', ['a'], ['y'], { axis: '-1' }),
      // @ts-expect-error Relu takes no attributes
      node('r', 'Relu', ['x'], ['y'], { alpha: 1 }),
      // @ts-expect-error not an op of the registry
      node('q', 'Gemm', ['x'], ['y']),
    ];
    expect(bad).toHaveLength(5);
  });
});
