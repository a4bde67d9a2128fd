// Reading and writing a scene's camera as a state normalised by the data's frame (direction,
// distance and pan in bounding radii), so it carries over between panels of a comparison and
// across the redraws of a live view, whose data (and frame) grow.
import { applyCameraState, cameraState } from "./compare-logic.js";

/** Camera of a scene, in the scene's own coordinates, and the frame that normalises it. */
export function readCamera(scene) {
  const cam = scene.camera;
  return {
    camera: { position: cam.position.toArray(), target: scene.controls.target.toArray(), up: cam.up.toArray(), zoom: cam.zoom },
    frame: frameOf(scene),
  };
}

export function frameOf(scene) {
  const { min, max } = scene.data.bbox;
  return { center: [0, 1, 2].map((k) => (min[k] + max[k]) / 2), radius: scene.geometry.boundingSphere.radius };
}

/** The normalised camera state of a scene (see `cameraState`). */
export function sceneCameraState(scene) {
  const { camera, frame } = readCamera(scene);
  return cameraState(camera, frame);
}

export function writeCamera(scene, state) {
  const c = applyCameraState(state, frameOf(scene));
  const cam = scene.camera;
  cam.position.fromArray(c.position);
  cam.up.fromArray(c.up);
  if (cam.isOrthographicCamera) cam.zoom = c.zoom;
  scene.controls.target.fromArray(c.target);
  cam.lookAt(scene.controls.target);
  cam.updateProjectionMatrix();
  scene.controls.update();
  scene.projectionDirty = true;
  scene.contextDirty = true;
}
