/** TensorFlow tensor references: "node" is output 0 of node, "node:k" output k, "^node" a control edge. */
export function parseRefSimple(ref: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? [m[1]!, Number(m[2])] : [ref, 0];
}
