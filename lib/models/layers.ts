/**
 * Layer plumbing shared by the modules: a `Builder` that creates named tfjs layers with
 * PyTorch's default initialisation and tags each with the logical module it belongs to (for
 * the summary table), and `call`, which runs a layer on symbolic tensors (to build the
 * `tf.LayersModel`) or on real tensors (the forward pass) with the right BatchNorm mode.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { hashSeed } from "../random/mod.ts";
import { withClosedFormTraining } from "./batchnorm.ts";

/** What flows through a module: symbolic tensors while building, real ones when running. */
export type Flow = tf.SymbolicTensor | tf.Tensor;

/** How a forward pass runs. */
export interface RunContext {
  /** Batch statistics (and moving-average updates) in BatchNorm; inference otherwise. */
  readonly training: boolean;
  /** Called with each logical module's output while the graph is built (summary shapes). */
  readonly record?: (module: string, outputs: readonly Flow[]) => void;
}

/** A layer and the logical module (summary row) it belongs to. */
export interface TaggedLayer {
  readonly layer: tf.layers.Layer;
  readonly module: string;
}

/**
 * BatchNorm as in PyTorch: epsilon 1e-5, and a moving average that keeps 90% of the old value
 * (PyTorch `momentum=0.1`; tfjs counts momentum the other way round).
 */
export const BN_EPSILON = 1e-5;
/** tfjs momentum equal to PyTorch's default `momentum=0.1`. */
export const BN_MOMENTUM = 0.9;

/**
 * Runs a layer on one or more inputs. Real tensors run in training mode only when the context
 * asks for it AND the layer is trainable: a frozen BatchNorm uses its moving statistics and
 * leaves them alone (Keras semantics), so freezing a part of the network freezes all of it.
 *
 * @example
 * ```ts
 * const y = call(conv, x, { training: true });
 * ```
 */
export function call<T extends Flow>(layer: tf.layers.Layer, x: T | T[], ctx: RunContext): T {
  const training = ctx.training && layer.trainable;
  return layer.apply(x as tf.Tensor | tf.Tensor[], { training }) as unknown as T;
}

/** Options of a convolution. */
export interface ConvSpec {
  readonly filters: number;
  readonly kernel: number;
  readonly strides?: number;
  readonly padding?: "same" | "valid";
  readonly inChannels: number;
  /**
   * false for a convolution that reads the network's input: training then never computes the
   * gradient with respect to its input, which nothing uses (see {@link withoutInputGradient}).
   */
  readonly inputGradient?: boolean;
}

/** The parts of a tfjs-layers Conv2D layer {@link withoutInputGradient} reads. */
interface ConvFields {
  readonly kernel: tf.LayerVariable;
  readonly bias: tf.LayerVariable | null;
  readonly strides: [number, number];
  readonly padding: "same" | "valid";
  readonly dilationRate: [number, number];
  readonly dataFormat: string;
  readonly activation: { getClassName(): string };
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

/**
 * Makes a Conv2D layer train with tfjs's plain `conv2d` and a bias add instead of its fused
 * kernel. The fused kernel's gradient always computes the gradient with respect to the input
 * too; the plain one computes only the gradients something asks for, so a convolution on the
 * images (whose gradient nothing needs) skips it: for the stem's 7x7 stride-2 convolution that
 * was the costliest single kernel of a wasm training step (bench/RESULTS.md). Inference keeps
 * the fused kernel. Only linear, channels-last convolutions change.
 *
 * @example
 * ```ts
 * const stem = withoutInputGradient(tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2 }));
 * ```
 */
export function withoutInputGradient<L extends tf.layers.Layer>(layer: L): L {
  const conv = layer as unknown as ConvFields;
  const original = conv.call.bind(layer);
  conv.call = (inputs, kwargs) => {
    if (
      kwargs["training"] !== true || conv.dataFormat !== "channelsLast" ||
      conv.activation.getClassName() !== "linear"
    ) {
      return original(inputs, kwargs);
    }
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const y = tf.conv2d(
        x,
        conv.kernel.read() as tf.Tensor4D,
        conv.strides,
        conv.padding,
        "NHWC",
        conv.dilationRate,
      );
      return conv.bias ? tf.add(y, conv.bias.read()) : y;
    });
  };
  return layer;
}

/**
 * The seed of one weight's initialiser: the run's seed mixed with the weight's name. Two run
 * seeds therefore draw unrelated values for every weight (a counter, seed + i, would hand seed 2
 * the draws of seed 1 shifted by one layer), and a weight draws the same values whatever other
 * layers the network has, so the rows of an ablation start from the same weights wherever their
 * layers coincide.
 *
 * @example
 * ```ts
 * weightSeed(1, "stem.conv/kernel") !== weightSeed(2, "stem.conv/kernel"); // true
 * ```
 */
export function weightSeed(runSeed: number, weightName: string): number {
  return hashSeed(runSeed, ...Array.from(weightName, (c) => c.codePointAt(0)!));
}

/**
 * Creates the layers of a network. Every layer gets an explicit name (PyTorch-style dotted
 * paths such as `stacks.0.hg.low2.up1.0.conv1`, so weights map onto a `state_dict`), PyTorch's
 * default initialisation (kernel and bias uniform in ±1/sqrt(fan_in)), and the module label
 * currently open with `within`.
 *
 * @example
 * ```ts
 * const b = new Builder(42);
 * const conv = b.within("stem", () => b.conv("stem.conv", { filters: 64, kernel: 7, strides: 2, padding: "valid", inChannels: 3 }));
 * ```
 */
export class Builder {
  readonly layers: TaggedLayer[] = [];
  private module = "";
  private readonly runSeed: number | undefined;

  /** `seed` makes initial weights reproducible; without it they are random. */
  constructor(seed?: number) {
    this.runSeed = seed;
  }

  /** Tags every layer created inside `fn` with `module`. */
  within<T>(module: string, fn: () => T): T {
    const outer = this.module;
    this.module = module;
    try {
      return fn();
    } finally {
      this.module = outer;
    }
  }

  private add<L extends tf.layers.Layer>(layer: L): L {
    this.layers.push({ layer, module: this.module });
    return layer;
  }

  private seed(weightName: string): number | undefined {
    return this.runSeed === undefined ? undefined : weightSeed(this.runSeed, weightName);
  }

  /** A convolution with bias, initialised like `torch.nn.Conv2d`. */
  conv(name: string, spec: ConvSpec): tf.layers.Layer {
    const fanIn = spec.inChannels * spec.kernel * spec.kernel;
    const bound = 1 / Math.sqrt(fanIn);
    const layer = tf.layers.conv2d({
      name,
      filters: spec.filters,
      kernelSize: spec.kernel,
      strides: spec.strides ?? 1,
      padding: spec.padding ?? "same",
      useBias: true,
      // Uniform with limit sqrt(3 * scale / fan_in) = 1 / sqrt(fan_in): kaiming_uniform(a=√5).
      kernelInitializer: tf.initializers.varianceScaling({
        scale: 1 / 3,
        mode: "fanIn",
        distribution: "uniform",
        seed: this.seed(`${name}/kernel`),
      }),
      biasInitializer: tf.initializers.randomUniform({
        minval: -bound,
        maxval: bound,
        seed: this.seed(`${name}/bias`),
      }),
    });
    return this.add(spec.inputGradient === false ? withoutInputGradient(layer) : layer);
  }

  /**
   * BatchNorm over channels (NHWC), PyTorch's epsilon and momentum; trains with the closed-form
   * gradient of batchnorm.ts (a plain tfjs BatchNormalization otherwise).
   */
  bn(name: string): tf.layers.Layer {
    return this.add(withClosedFormTraining(tf.layers.batchNormalization({
      name,
      axis: -1,
      momentum: BN_MOMENTUM,
      epsilon: BN_EPSILON,
    })));
  }

  relu(name: string): tf.layers.Layer {
    return this.add(tf.layers.reLU({ name }));
  }

  /** Max pooling 2x2, stride 2. */
  pool(name: string): tf.layers.Layer {
    return this.add(tf.layers.maxPooling2d({ name, poolSize: 2, strides: 2, padding: "valid" }));
  }

  /** Nearest-neighbour upsampling by `factor`. */
  up(name: string, factor = 2): tf.layers.Layer {
    return this.add(
      tf.layers.upSampling2d({ name, size: [factor, factor], interpolation: "nearest" }),
    );
  }

  /** Zero padding on every side (PyTorch's `padding=p` for a strided conv). */
  pad(name: string, p: number): tf.layers.Layer {
    return this.add(tf.layers.zeroPadding2d({ name, padding: p }));
  }

  /** Element-wise sum of its inputs. */
  sum(name: string): tf.layers.Layer {
    return this.add(tf.layers.add({ name }));
  }

  /** Channel concatenation. */
  concat(name: string): tf.layers.Layer {
    return this.add(tf.layers.concatenate({ name, axis: -1 }));
  }
}
