/**
 * `tf.variableGrads` with a backward pass that frees memory as it goes.
 *
 * tfjs's backward pass (tfjs-core `Engine.gradients`) keeps every tensor the tape saved, and
 * every gradient that flowed backwards, until the whole pass ends: saved tensors are disposed
 * in one sweep afterwards, gradients when the enclosing scope closes. At the end of a training
 * step every activation and every activation gradient of the network is alive at once; for the
 * 2x64 hourglass at 256 px that made the backward pass add ~650 MiB to the forward pass's
 * ~480 MiB at batch 4 (bench/RESULTS.md, "training memory"). PyTorch frees both as soon as a
 * node's gradient is computed.
 *
 * This module runs the same tape, the same gradient functions in the same order with the same
 * accumulation (so the same values, bit for bit), and after each node:
 * - disposes the tensors that node saved (nothing else reads them: each save is its own clone);
 * - disposes the gradients of the node's outputs (a tensor's gradient is read only by the node
 *   that produced the tensor), except one returned by the node itself.
 *
 * Only the outermost gradient (no `tf.grad` of a `tf.grad`) is changed; nested ones run tfjs's
 * own pass.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** One entry of tfjs's tape (tfjs-core `TapeNode`). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs-core's `Engine` the backward pass uses. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  gradients: (
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ) => { value: tf.Tensor; grads: (tf.Tensor | undefined)[] };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string | (() => T), f?: () => T): T;
}

/**
 * The nodes on a path from one of `xs` to `y`, in tape order, each with only the inputs that
 * depend on `xs` (gradients are computed for those alone).
 */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodeToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape.filter((n) => nodeFromX.has(n.id) && nodeToY.has(n.id)).map((node) => ({
    ...node,
    inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => fromX.has(t.id))),
  }));
}

function leanGradients(engine: EngineInternals, original: EngineInternals["gradients"]) {
  return (
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients = false,
  ): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] } => {
    // Nested gradients keep tfjs's own pass (its tape outlives the inner one).
    if (engine.state.gradientDepth > 0) return original.call(engine, f, xs, dy, allowNoGradients);
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy("forward", f),
    );
    if (!(y instanceof tf.Tensor)) {
      throw new Error("The result y returned by f() must be a tensor.");
    }
    const tape = engine.state.activeTape ?? [];
    const nodes = nodesFromXsToY(tape, xs, y);
    if (!allowNoGradients && nodes.length === 0 && xs.length > 0) {
      throw new Error("Cannot compute gradient of y=f(x) with respect to x.");
    }
    return engine.tidy("backward", () => {
      const acc = new Map<number, tf.Tensor>([[y.id, dy ?? tf.onesLike(y)]]);
      const xIds = new Set(xs.map((x) => x.id));
      const byId = new Map(tape.map((n) => [n.id, n]));
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i]!;
        if (!node.gradient) {
          throw new Error(
            `Cannot compute gradient: gradient function not found for ${node.kernelName}.`,
          );
        }
        const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
        const inputs = Object.entries(node.inputs);
        // One scope for the node: a custom gradient (tf.customGrad) computes all its input
        // gradients when called, and its intermediates would otherwise live to the end.
        const dxs = engine.tidy(() => {
          const inputGrads = node.gradient!(dys);
          return inputs.map(([name]) => {
            const grad = inputGrads[name];
            if (!grad) {
              throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
            }
            return grad();
          });
        });
        const made: tf.Tensor[] = [];
        for (const [k, [name, x]] of inputs.entries()) {
          const dx = dxs[k]!;
          if (dx.dtype !== "float32") {
            throw new Error(`Error in gradient for op ${node.kernelName}: dtype ${dx.dtype}`);
          }
          if (!tf.util.arraysEqual(dx.shape, x.shape)) {
            throw new Error(
              `Error in gradient for op ${node.kernelName}: input '${name}' has shape ` +
                `[${x.shape}] but its gradient [${dx.shape}]`,
            );
          }
          const previous = acc.get(x.id);
          if (previous) {
            const sum = tf.add(previous, dx);
            acc.set(x.id, sum);
            previous.dispose(); // as tfjs does
            // dx may be one of dys passed through, or another input's gradient of this node.
            if (!dys.includes(dx) && !made.includes(dx)) dx.dispose();
            made.push(sum);
          } else {
            acc.set(x.id, dx);
            made.push(dx);
          }
        }
        // This node was the only reader of its outputs' gradients and of what it saved.
        for (const o of node.outputs) {
          const g = acc.get(o.id);
          if (g && g !== dy && !made.includes(g) && !xIds.has(o.id)) {
            g.dispose();
            acc.delete(o.id);
          }
        }
        for (const t of node.saved ?? []) t.dispose();
        // The tape's own node (nodes holds copies): nothing left for the final sweep.
        const own = byId.get(node.id);
        if (own) own.saved = [];
      }
      const grads = xs.map((x) => acc.get(x.id));
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
      return { value: y, grads };
    });
  };
}

/**
 * `tf.variableGrads(f, vars)`, with the backward pass freeing each node's saved tensors and
 * output gradients once used (see the module notes). Same values.
 *
 * @example
 * ```ts
 * const { value, grads } = leanVariableGrads(() => loss(model(x)), trainableVariables(net));
 * ```
 */
export function leanVariableGrads(
  f: () => tf.Scalar,
  vars?: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.gradients;
  const own = Object.prototype.hasOwnProperty.call(engine, "gradients");
  engine.gradients = leanGradients(engine, original);
  try {
    return tf.variableGrads(f, vars);
  } finally {
    if (own) engine.gradients = original;
    else delete (engine as Partial<EngineInternals>).gradients;
  }
}
