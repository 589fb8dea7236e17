/**
 * SynthPose's kinematic poses: a 3D body with joint angles inside human limits, one of a few
 * activity priors for the legs, seen from any direction and projected to the frame of
 * `pose.ts` (box units around the person centre, y down, depth positive towards the camera).
 *
 * @module
 */

import type { Random } from "../../random/random.ts";
import { J, NUM_JOINTS } from "../../skeleton/mpii.ts";
import type { SynthPoseShape } from "./pose.ts";

type Vec3 = [number, number, number];

const add = (a: Vec3, b: Vec3, k = 1): Vec3 => [a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2]];
const scale3 = (a: Vec3, k: number): Vec3 => [a[0] * k, a[1] * k, a[2] * k];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

/** Rotates `v` about the unit axis `k` by `theta` radians (Rodrigues). */
function rotate(v: Vec3, k: Vec3, theta: number): Vec3 {
  const c = Math.cos(theta), s = Math.sin(theta);
  return add(add(scale3(v, c), scale3(cross(k, v), s)), scale3(k, dot(k, v) * (1 - c)));
}

/** A body frame: lateral (towards the person's left), up, forward. */
interface Frame {
  readonly x: Vec3;
  readonly y: Vec3;
  readonly z: Vec3;
}

const toWorld = (f: Frame, v: Vec3): Vec3 =>
  add(add(scale3(f.x, v[0]), scale3(f.y, v[1])), scale3(f.z, v[2]));

const rotateFrame = (f: Frame, axis: Vec3, theta: number): Frame => ({
  x: rotate(f.x, axis, theta),
  y: rotate(f.y, axis, theta),
  z: rotate(f.z, axis, theta),
});

const deg = Math.PI / 180;

/**
 * A limb in its parent frame: the upper bone's direction after abduction (sideways raise,
 * `side` = +1 left, -1 right) and flexion (forward raise), then the lower bone bent by `bend`
 * about the hinge axis, itself turned about the upper bone by `twist`. `bendForward` says which
 * way the hinge bends (elbows forward, knees back).
 */
function limb(
  side: number,
  abduction: number,
  flexion: number,
  twist: number,
  bend: number,
  bendForward: boolean,
): [upper: Vec3, lower: Vec3] {
  const ab = side * abduction;
  // Abduction turns the hanging direction (0, -1, 0) about the forward axis.
  let u: Vec3 = [Math.sin(ab), -Math.cos(ab), 0];
  let h: Vec3 = [Math.cos(ab), Math.sin(ab), 0];
  // Flexion turns both about the lateral axis, towards the front.
  const flex = (v: Vec3): Vec3 => [
    v[0],
    v[1] * Math.cos(flexion) + v[2] * Math.sin(flexion),
    -v[1] * Math.sin(flexion) + v[2] * Math.cos(flexion),
  ];
  u = flex(u);
  h = rotate(flex(h), u, twist);
  const lower = rotate(u, h, bendForward ? -bend : bend);
  return [u, lower];
}

/** Segment lengths of an average person in box units (90th percentiles of the MPII bank). */
const LENGTHS = {
  head: 0.167,
  neck: 0.06,
  torso: 0.33,
  hipHalf: 0.065,
  shoulderHalf: 0.11,
  upperArm: 0.19,
  forearm: 0.17,
  thigh: 0.28,
  shin: 0.27,
};

/** MPII places `objpos` this far below the middle of the torso, in box units (bank median). */
const CENTER_BELOW_MIDTORSO = 0.077;

/**
 * A pose from the kinematic model: a 3D body with joint angles inside human limits (shoulders,
 * elbows 0-150 degrees, hips, knees 0-150 degrees, torso lean and twist, head tilt), one of a few
 * activity priors for the legs (standing, walking, sitting, kicking), seen from a random yaw and
 * a small pitch, projected orthographically.
 *
 * @example
 * ```ts
 * const { xy, depth } = kinematicPose(rng, 0.1);
 * ```
 */
export function kinematicPose(rng: Random, proportions: number): SynthPoseShape {
  const f = (sd: number) => Math.exp(rng.normal(0, sd));
  const torsoK = f(proportions), armK = f(proportions), legK = f(proportions);
  const headK = f(proportions / 2);
  const L = {
    head: LENGTHS.head * headK,
    neck: LENGTHS.neck * headK,
    torso: LENGTHS.torso * torsoK,
    hipHalf: LENGTHS.hipHalf * torsoK * f(proportions),
    shoulderHalf: LENGTHS.shoulderHalf * torsoK * f(proportions),
    upperArm: LENGTHS.upperArm * armK,
    forearm: LENGTHS.forearm * armK,
    thigh: LENGTHS.thigh * legK,
    shin: LENGTHS.shin * legK,
  };
  const pelvisFrame: Frame = { x: [1, 0, 0], y: [0, 1, 0], z: [0, 0, 1] };
  // Torso: forward lean, sideways bend, then the shoulders twist about the spine.
  // A positive angle about the lateral axis tips the spine forward (towards +z).
  let torso = rotateFrame(pelvisFrame, pelvisFrame.x, rng.uniform(-10, 40) * deg);
  torso = rotateFrame(torso, torso.z, rng.normal(0, 8) * deg);
  const shoulders = rotateFrame(torso, torso.y, rng.normal(0, 15) * deg);
  let head = rotateFrame(torso, torso.x, rng.normal(5, 15) * deg);
  head = rotateFrame(head, head.z, rng.normal(0, 10) * deg);

  const P = new Array<Vec3>(NUM_JOINTS);
  P[J.pelvis] = [0, 0, 0];
  P[J.l_hip] = scale3(pelvisFrame.x, L.hipHalf);
  P[J.r_hip] = scale3(pelvisFrame.x, -L.hipHalf);
  P[J.thorax] = scale3(torso.y, L.torso);
  P[J.upper_neck] = add(P[J.thorax]!, head.y, L.neck);
  P[J.head_top] = add(P[J.upper_neck]!, head.y, L.head);
  P[J.l_shoulder] = add(add(P[J.thorax]!, shoulders.x, L.shoulderHalf), shoulders.y, -0.01);
  P[J.r_shoulder] = add(add(P[J.thorax]!, shoulders.x, -L.shoulderHalf), shoulders.y, -0.01);

  for (const side of [1, -1]) {
    const [sh, el, wr] = side > 0
      ? [J.l_shoulder, J.l_elbow, J.l_wrist]
      : [J.r_shoulder, J.r_elbow, J.r_wrist];
    const [u, l] = limb(
      side,
      rng.uniform(0, 150) * deg * (rng.chance(0.4) ? 0.25 : 1),
      rng.uniform(-40, 170) * deg * (rng.chance(0.3) ? 0.2 : 1),
      rng.uniform(-40, 90) * deg,
      rng.uniform(0, 150) * deg,
      true,
    );
    P[el] = add(P[sh]!, toWorld(shoulders, u), L.upperArm);
    P[wr] = add(P[el]!, toWorld(shoulders, l), L.forearm);
  }

  // Leg priors: standing, walking or running, sitting or crouching, kicking or dancing.
  const activity = rng.next();
  for (const side of [1, -1]) {
    const [hip, kn, an] = side > 0
      ? [J.l_hip, J.l_knee, J.l_ankle]
      : [J.r_hip, J.r_knee, J.r_ankle];
    let flex: number, abd: number, knee: number;
    if (activity < 0.55) {
      flex = rng.normal(0, 8), abd = rng.uniform(-5, 15), knee = rng.uniform(0, 20);
    } else if (activity < 0.75) {
      flex = rng.uniform(-30, 60), abd = rng.uniform(-5, 15), knee = rng.uniform(0, 100);
    } else if (activity < 0.9) {
      flex = rng.uniform(60, 110), abd = rng.uniform(0, 30), knee = rng.uniform(60, 145);
    } else {
      flex = rng.uniform(-20, 110), abd = rng.uniform(0, 60), knee = rng.uniform(0, 140);
    }
    const [u, l] = limb(side, abd * deg, flex * deg, rng.uniform(-20, 20) * deg, knee * deg, false);
    P[kn] = add(P[hip]!, toWorld(pelvisFrame, u), L.thigh);
    P[an] = add(P[kn]!, toWorld(pelvisFrame, l), L.shin);
  }

  // View: any yaw (front, side, back), a little pitch.
  const yaw = rng.uniform(0, 360) * deg, pitch = rng.normal(0, 8) * deg;
  const xy = new Float64Array(2 * NUM_JOINTS);
  const depth = new Float64Array(NUM_JOINTS);
  for (let j = 0; j < NUM_JOINTS; j++) {
    let v = rotate(P[j]!, [0, 1, 0], yaw);
    v = rotate(v, [1, 0, 0], pitch);
    // The person's left is +x when facing the camera (+z); the image shows it on the right.
    xy[2 * j] = v[0];
    xy[2 * j + 1] = -v[1];
    depth[j] = v[2];
  }
  // Put the origin where MPII annotators put objpos: a little below the middle of the torso.
  const cx = (xy[2 * J.pelvis]! + xy[2 * J.thorax]!) / 2;
  const cy = (xy[2 * J.pelvis + 1]! + xy[2 * J.thorax + 1]!) / 2 + CENTER_BELOW_MIDTORSO;
  for (let j = 0; j < NUM_JOINTS; j++) {
    xy[2 * j] = xy[2 * j]! - cx;
    xy[2 * j + 1] = xy[2 * j + 1]! - cy;
  }
  return { xy, depth };
}
