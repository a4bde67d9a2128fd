// three.js scene: one shared point geometry drawn twice (faint other-epoch context, current epoch),
// colour / filtering / selection / highlighting on the GPU via uniforms, small data textures and a
// per-node selection attribute; trajectories of selected units with their direction of time.
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { PALETTE, hexToRgb, viridisBytes } from "./colors.js";
import { FRAGMENT, TEX_W, VERTEX } from "./shaders.js";
import { boundsOf, nearestIn, projectPoints } from "./projection.js";
import { finiteRange } from "./data.js";
import { ARROW_FRAGMENT, ARROW_VERTEX, LINE_FRAGMENT, LINE_VERTEX, trajectoryGeometry } from "./trajectories.js";

const LOD_POINTS = 40000;
const MISSING = -1.0e30;

function dataTexture(values, fill) {
  const n = Math.max(1, values ? values.length : 1);
  const h = Math.ceil(n / TEX_W);
  const arr = new Float32Array(TEX_W * h).fill(fill);
  if (values) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      arr[i] = Number.isFinite(v) ? v : MISSING;
    }
  }
  const tex = new THREE.DataTexture(arr, TEX_W, h, THREE.RedFormat, THREE.FloatType);
  tex.minFilter = THREE.NearestFilter;
  tex.magFilter = THREE.NearestFilter;
  tex.needsUpdate = true;
  return tex;
}

function writeTexture(tex, values) {
  const img = tex.image.data;
  img.fill(0);
  img.set(values);
  tex.needsUpdate = true;
}

export const MODE_INDEX = {
  epoch: 0,
  timestep: 1,
  unit: 2,
  cluster: 3,
  intrastep_entropy: 4,
  interstep_entropy: 5,
  class: 6,
};

const HOVER_KIND = { unit: 1, cluster: 2, class: 3 };

export class PointScene {
  constructor(container, data, { width, height, onChange }) {
    this.data = data;
    this.onChange = onChange;
    this.width = width;
    this.height = height;
    try {
      this.renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: false });
    } catch (err) {
      throw new Error(`WebGL is unavailable, so the explorer cannot draw (${err.message || err}).`);
    }
    if (!this.renderer.getContext()) throw new Error("WebGL is unavailable, so the explorer cannot draw.");
    this.pixelRatio = Math.min(2, window.devicePixelRatio || 1);
    this.renderer.setPixelRatio(this.pixelRatio);
    this.renderer.setSize(width, height);
    this.canvas = this.renderer.domElement;
    container.appendChild(this.canvas);

    this.scene = new THREE.Scene();
    const d = data;
    this.geometry = new THREE.BufferGeometry();
    this.geometry.setAttribute("position", new THREE.BufferAttribute(d.positions, 3));
    const cls = d.nodeClass || new Uint8Array(d.N).fill(255);
    this.geometry.setAttribute("aClass", new THREE.BufferAttribute(cls, 1));
    this.pointMask = new Uint8Array(d.N);
    this.selAttr = new THREE.BufferAttribute(this.pointMask, 1);
    this.geometry.setAttribute("aSel", this.selAttr);
    const { min, max } = d.bbox;
    this.geometry.boundingBox = new THREE.Box3(new THREE.Vector3(...min), new THREE.Vector3(...max));
    this.geometry.boundingSphere = new THREE.Sphere();
    this.geometry.boundingBox.getBoundingSphere(this.geometry.boundingSphere);
    // tight radius about the box centre (the box's own sphere overestimates a point cloud)
    const c = this.geometry.boundingSphere.center;
    let r2 = 0;
    for (let i = 0, p = d.positions; i < d.N; i++) {
      const dx = p[3 * i] - c.x;
      const dy = p[3 * i + 1] - c.y;
      const dz = p[3 * i + 2] - c.z;
      const q = dx * dx + dy * dy + dz * dz;
      if (q > r2) r2 = q;
    }
    this.geometry.boundingSphere.radius = Math.sqrt(r2);

    this.unitSelection = new Float32Array(d.U);
    this.visible = new Float32Array(d.E * d.T).fill(1);
    const lut = new THREE.DataTexture(viridisBytes(), 256, 1, THREE.RGBAFormat, THREE.UnsignedByteType);
    lut.minFilter = THREE.NearestFilter;
    lut.magFilter = THREE.NearestFilter;
    lut.needsUpdate = true;
    this.textures = {
      sel: dataTexture(this.unitSelection, 0),
      vis: dataTexture(this.visible, 1),
      cluster: dataTexture(d.clusters ? Float32Array.from(d.clusters) : null, -1),
      intra: dataTexture(d.intrastep, MISSING),
      inter: dataTexture(d.interstep, MISSING),
      viridis: lut,
    };
    // a comparison view may share one colour scale between panels (data.ranges)
    const intraRange = d.ranges?.intrastep_entropy || finiteRange(d.intrastep);
    const interRange = d.ranges?.interstep_entropy || finiteRange(d.interstep);
    this.ranges = { intrastep_entropy: intraRange, interstep_entropy: interRange };
    const base = Math.max(1.5, Math.min(6, 9 - Math.log10(Math.max(10, d.N))));
    this.basePointSize = base;
    const uniforms = () => ({
      uT: { value: d.T },
      uU: { value: d.U },
      uTimestep: { value: 0 },
      uMode: { value: 0 },
      uSelMode: { value: 0 },
      uHoverKind: { value: 0 },
      uHoverValue: { value: -1 },
      uNE: { value: d.E },
      uNT: { value: d.T },
      uContext: { value: 0 },
      uPlaying: { value: 0 },
      uSelActive: { value: 0 },
      uPointSize: { value: base },
      uPixelRatio: { value: this.pixelRatio },
      uBg: { value: new THREE.Vector3(1, 1, 1) },
      uIntraRange: { value: new THREE.Vector2(...intraRange) },
      uInterRange: { value: new THREE.Vector2(...interRange) },
      tSel: { value: this.textures.sel },
      tVis: { value: this.textures.vis },
      tCluster: { value: this.textures.cluster },
      tIntra: { value: this.textures.intra },
      tInter: { value: this.textures.inter },
      tViridis: { value: this.textures.viridis },
      uPalette: { value: PALETTE.map((h) => new THREE.Vector3(...hexToRgb(h))) },
    });
    this.contextMaterial = new THREE.ShaderMaterial({
      uniforms: uniforms(),
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
      depthWrite: false,
    });
    this.contextMaterial.uniforms.uContext.value = 1;
    this.currentMaterial = new THREE.ShaderMaterial({
      uniforms: uniforms(),
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
    });
    // Other epochs as faint context: rendered into an offscreen target only when the camera,
    // colours or selection change, so scrubbing epochs and playing timesteps redraw just the
    // current epoch over a cached image. While the camera moves, a subsample stands in.
    this.contextScene = new THREE.Scene();
    this.contextPoints = new THREE.Points(this.geometry, this.contextMaterial);
    this.contextPoints.frustumCulled = false;
    const stride = Math.max(1, Math.ceil(d.N / LOD_POINTS));
    this.lodGeometry = new THREE.BufferGeometry();
    for (const name of ["position", "aClass", "aSel"]) this.lodGeometry.setAttribute(name, this.geometry.getAttribute(name));
    if (stride > 1) {
      const idx = new Uint32Array(Math.ceil(d.N / stride));
      for (let i = 0; i < idx.length; i++) idx[i] = i * stride;
      this.lodGeometry.setIndex(new THREE.BufferAttribute(idx, 1));
    }
    this.lodPoints = new THREE.Points(this.lodGeometry, this.contextMaterial);
    this.lodPoints.frustumCulled = false;
    this.lodPoints.visible = false;
    this.contextScene.add(this.contextPoints, this.lodPoints);
    this.contextTarget = new THREE.WebGLRenderTarget(1, 1, { depthBuffer: true });
    this.quadMaterial = new THREE.ShaderMaterial({
      uniforms: { tImage: { value: this.contextTarget.texture } },
      vertexShader: "varying vec2 vUv; void main() { vUv = uv; gl_Position = vec4(position.xy, 0.0, 1.0); }",
      fragmentShader: "uniform sampler2D tImage; varying vec2 vUv; void main() { gl_FragColor = texture2D(tImage, vUv); }",
      depthTest: false,
      depthWrite: false,
    });
    this.quadScene = new THREE.Scene();
    const quad = new THREE.Mesh(new THREE.PlaneGeometry(2, 2), this.quadMaterial);
    quad.frustumCulled = false;
    this.quadScene.add(quad);
    this.quadCamera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1);
    this.contextDirty = true;
    this.interacting = false;
    this.renderer.autoClear = false;

    this.currentGeometry = new THREE.BufferGeometry();
    for (const name of ["position", "aClass", "aSel"]) this.currentGeometry.setAttribute(name, this.geometry.getAttribute(name));
    this.currentGeometry.boundingSphere = this.geometry.boundingSphere.clone();
    this.currentPoints = new THREE.Points(this.currentGeometry, this.currentMaterial);
    this.currentPoints.frustumCulled = false;
    this.currentPoints.renderOrder = 1;
    this.scene.add(this.currentPoints);

    this.lineMaterial = new THREE.ShaderMaterial({ vertexShader: LINE_VERTEX, fragmentShader: LINE_FRAGMENT, depthTest: false });
    this.arrowMaterial = new THREE.ShaderMaterial({
      uniforms: { uViewport: { value: new THREE.Vector2(width, height) }, uArrowSize: { value: 7 } },
      vertexShader: ARROW_VERTEX,
      fragmentShader: ARROW_FRAGMENT,
      depthTest: false,
      side: THREE.DoubleSide,
    });
    this.lineGeometry = new THREE.BufferGeometry();
    this.arrowGeometry = new THREE.BufferGeometry();
    this.lines = new THREE.LineSegments(this.lineGeometry, this.lineMaterial);
    this.arrows = new THREE.Mesh(this.arrowGeometry, this.arrowMaterial);
    for (const [obj, order] of [[this.lines, 2], [this.arrows, 3]]) {
      obj.frustumCulled = false;
      obj.renderOrder = order;
      this.scene.add(obj);
    }
    this.showTrajectories = true;
    this.theme = { foreground: "#1f1f1f", background: "#ffffff" };

    this.perspective = new THREE.PerspectiveCamera(45, width / height, 1e-3, 1e6);
    this.ortho = new THREE.OrthographicCamera(-1, 1, 1, -1, -1e6, 1e6);
    this.viewMode = "3d";
    this.camera = this.perspective;
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener("change", () => {
      this.projectionDirty = true;
      this.contextDirty = true;
      this.onChange();
    });
    this.controls.addEventListener("start", () => {
      this.interacting = true;
    });
    this.controls.addEventListener("end", () => {
      this.interacting = false;
      this.contextDirty = true;
      this.onChange();
    });
    this.epoch = 0;
    this.showContext = true;
    this.selectedUnits = [];
    this.projectionDirty = true;
    this.setView("3d");
    this.setEpoch(0);
  }

  forEachMaterial(fn) {
    fn(this.contextMaterial.uniforms);
    fn(this.currentMaterial.uniforms);
  }

  setEpoch(e) {
    const d = this.data;
    this.epoch = e;
    const tu = d.T * d.U;
    this.currentGeometry.setDrawRange(e * tu, tu);
    this.projectionDirty = true;
    this.updateTrajectories();
  }

  setTimestep(t) {
    this.forEachMaterial((u) => (u.uTimestep.value = t));
  }

  setPlaying(p) {
    this.forEachMaterial((u) => (u.uPlaying.value = p ? 1 : 0));
  }

  setMode(name) {
    const m = MODE_INDEX[name] ?? 0;
    this.forEachMaterial((u) => (u.uMode.value = m));
    this.contextDirty = true;
  }

  setShowContext(show) {
    this.showContext = show;
    this.contextDirty = true;
    this.projectionDirty = true;
  }

  /** Slice visibility (epoch and timestep filters): Float32Array/Uint8Array of E*T, 1 = shown. */
  setVisibility(visible) {
    this.visible.set(visible);
    writeTexture(this.textures.vis, this.visible);
    this.contextDirty = true;
    this.projectionDirty = true;
    this.updateTrajectories();
  }

  isVisible(e, t) {
    return this.visible[e * this.data.T + t] > 0.5;
  }

  pointsDrawn() {
    const d = this.data;
    let slices = 0;
    for (let e = 0; e < d.E; e++) {
      if (!this.showContext && e !== this.epoch) continue;
      for (let t = 0; t < d.T; t++) slices += this.visible[e * d.T + t] > 0.5 ? 1 : 0;
    }
    return slices * d.U;
  }

  setTheme(theme) {
    this.theme = theme;
    const bg = new THREE.Color(theme.background);
    this.renderer.setClearColor(bg, 1);
    const srgb = {};
    bg.getRGB(srgb, THREE.SRGBColorSpace);
    this.forEachMaterial((u) => u.uBg.value.set(srgb.r, srgb.g, srgb.b));
    this.contextDirty = true;
    this.updateTrajectories();
  }

  /** "units" or "points": which selection the dimming follows. */
  setSelectionMode(mode) {
    this.selectionMode = mode === "points" ? "points" : "units";
    this.forEachMaterial((u) => (u.uSelMode.value = this.selectionMode === "points" ? 1 : 0));
    this.refreshSelectionActive();
    this.updateTrajectories();
  }

  /** Mark the selected units (a Set of unit positions). */
  setUnitSelection(indices) {
    this.unitSelection.fill(0);
    for (const i of indices) this.unitSelection[i] = 1;
    writeTexture(this.textures.sel, this.unitSelection);
    this.selectedUnits = Array.from(indices).sort((a, b) => a - b);
    this.refreshSelectionActive();
    this.updateTrajectories();
  }

  /** Mark the selected points (a 0/1 Uint8Array mask over all nodes). */
  setPointSelection(mask) {
    this.pointMask.set(mask);
    this.pointCount = 0;
    for (let i = 0; i < mask.length; i++) this.pointCount += mask[i];
    this.selAttr.needsUpdate = true;
    this.refreshSelectionActive();
  }

  refreshSelectionActive() {
    const active = this.selectionMode === "points" ? (this.pointCount || 0) > 0 : this.selectedUnits.length > 0;
    this.forEachMaterial((u) => (u.uSelActive.value = active ? 1 : 0));
    this.contextDirty = true;
  }

  /** Emphasise the points of one unit / cluster / class (legend hover); null clears it. */
  setHover(hover) {
    const kind = hover ? HOVER_KIND[hover.kind] || 0 : 0;
    this.forEachMaterial((u) => {
      u.uHoverKind.value = kind;
      u.uHoverValue.value = hover ? hover.value : -1;
    });
    this.contextDirty = true;
  }

  setShowTrajectories(show) {
    this.showTrajectories = !!show;
    this.updateTrajectories();
  }

  /** Number of trajectories drawn (selected units in units mode, current epoch). */
  trajectoryCount() {
    return this.lines.visible ? this.trajUnits : 0;
  }

  updateTrajectories() {
    const units = this.showTrajectories && this.selectionMode !== "points" ? this.selectedUnits.slice(0, 1000) : [];
    const g = trajectoryGeometry(this.data, this.epoch, units, (e, t) => this.isVisible(e, t), this.theme);
    this.lineGeometry.dispose();
    this.arrowGeometry.dispose();
    this.lineGeometry = new THREE.BufferGeometry();
    this.lineGeometry.setAttribute("position", new THREE.BufferAttribute(g.linePositions, 3));
    this.lineGeometry.setAttribute("color", new THREE.BufferAttribute(g.lineColors, 3));
    this.arrowGeometry = new THREE.BufferGeometry();
    this.arrowGeometry.setAttribute("position", new THREE.BufferAttribute(g.arrowTo, 3));
    this.arrowGeometry.setAttribute("aFrom", new THREE.BufferAttribute(g.arrowFrom, 3));
    this.arrowGeometry.setAttribute("aCorner", new THREE.BufferAttribute(g.arrowCorner, 2));
    this.arrowGeometry.setAttribute("color", new THREE.BufferAttribute(g.arrowColors, 3));
    this.lines.geometry = this.lineGeometry;
    this.arrows.geometry = this.arrowGeometry;
    this.lines.visible = g.linePositions.length > 0;
    this.arrows.visible = g.arrowTo.length > 0;
    this.trajUnits = g.units;
    this.arrowCount = g.arrowTo.length / 9;
  }

  setView(mode) {
    this.viewMode = mode === "2d" ? "2d" : "3d";
    this.camera = this.viewMode === "2d" ? this.ortho : this.perspective;
    this.controls.object = this.camera;
    if (this.viewMode === "2d") {
      this.controls.enableRotate = false;
      this.controls.screenSpacePanning = true;
      this.controls.mouseButtons = { LEFT: THREE.MOUSE.PAN, MIDDLE: THREE.MOUSE.DOLLY, RIGHT: THREE.MOUSE.PAN };
    } else {
      this.controls.enableRotate = true;
      this.controls.screenSpacePanning = true;
      this.controls.mouseButtons = { LEFT: THREE.MOUSE.ROTATE, MIDDLE: THREE.MOUSE.DOLLY, RIGHT: THREE.MOUSE.PAN };
    }
    this.resetCamera();
  }

  /** Orthographic frustum that frames every point's x/y box (5% margin) at this aspect ratio. */
  fitOrtho(aspect) {
    const { min, max } = this.data.bbox;
    let hw = Math.max((max[0] - min[0]) / 2, 1e-9) * 1.1;
    let hh = Math.max((max[1] - min[1]) / 2, 1e-9) * 1.1;
    if (hw / hh > aspect) hh = hw / aspect;
    else hw = hh * aspect;
    const cam = this.ortho;
    cam.left = -hw;
    cam.right = hw;
    cam.top = hh;
    cam.bottom = -hh;
  }

  setTool(tool) {
    // Navigation only with the orbit tool; wheel zoom stays available for every tool.
    const nav = tool === "orbit";
    this.controls.enableRotate = nav && this.viewMode === "3d";
    this.controls.enablePan = nav;
    this.controls.enableZoom = true;
  }

  resetCamera() {
    const { min, max } = this.data.bbox;
    const cx = (min[0] + max[0]) / 2;
    const cy = (min[1] + max[1]) / 2;
    const cz = (min[2] + max[2]) / 2;
    const aspect = this.width / this.height;
    if (this.viewMode === "2d") {
      const cam = this.ortho;
      this.fitOrtho(aspect);
      cam.zoom = 1;
      cam.up.set(0, 1, 0);
      const depth = Math.max(1, max[2] - min[2]);
      cam.position.set(cx, cy, max[2] + depth * 10);
      cam.near = -1e6;
      cam.far = 1e6;
      cam.lookAt(cx, cy, cz);
      cam.updateProjectionMatrix();
      this.controls.target.set(cx, cy, cz);
    } else {
      const r = Math.max(this.geometry.boundingSphere.radius, 1e-9);
      const cam = this.perspective;
      cam.aspect = aspect;
      const fov = (cam.fov * Math.PI) / 180;
      const dist = (r / Math.sin(Math.min(fov, fov * aspect) / 2)) * 1.05;
      const dir = new THREE.Vector3(0.55, 0.45, 1).normalize();
      cam.up.set(0, 1, 0);
      cam.position.set(cx + dir.x * dist, cy + dir.y * dist, cz + dir.z * dist);
      cam.near = dist / 1000;
      cam.far = dist * 100;
      cam.lookAt(cx, cy, cz);
      cam.updateProjectionMatrix();
      this.controls.target.set(cx, cy, cz);
    }
    this.controls.update();
    this.projectionDirty = true;
    this.contextDirty = true;
  }

  resize(width, height) {
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.renderer.setSize(this.width, this.height);
    const aspect = this.width / this.height;
    this.perspective.aspect = aspect;
    this.perspective.updateProjectionMatrix();
    // 2-D: refit the frustum to the new shape; the user's pan (position) and zoom are kept
    this.fitOrtho(aspect);
    this.ortho.updateProjectionMatrix();
    this.projectionDirty = true;
    this.contextDirty = true;
  }

  render() {
    const r = this.renderer;
    const size = r.getDrawingBufferSize(new THREE.Vector2());
    this.arrowMaterial.uniforms.uViewport.value.copy(size);
    this.arrowMaterial.uniforms.uArrowSize.value = 7 * r.getPixelRatio();
    r.setRenderTarget(null);
    r.clear();
    if (this.showContext) {
      if (this.interacting) {
        // camera moving: a subsample of the context, drawn directly
        this.contextPoints.visible = false;
        this.lodPoints.visible = true;
        r.render(this.contextScene, this.camera);
        this.contextDirty = true;
      } else {
        if (this.contextDirty) {
          if (this.contextTarget.width !== size.x || this.contextTarget.height !== size.y) {
            this.contextTarget.setSize(size.x, size.y);
          }
          this.contextPoints.visible = true;
          this.lodPoints.visible = false;
          r.setRenderTarget(this.contextTarget);
          r.clear();
          r.render(this.contextScene, this.camera);
          r.setRenderTarget(null);
          this.contextDirty = false;
        }
        r.render(this.quadScene, this.quadCamera);
      }
      r.clearDepth();
    }
    r.render(this.scene, this.camera);
  }

  /** Project nodes [start, start + count) into out (CSS pixels; NaN where not drawn). */
  projectRange(start, count, out) {
    const d = this.data;
    projectPoints(d.positions, start, count, this.viewProjection(), this.width, this.height, out, {
      visible: this.visible,
      U: d.U,
    });
  }

  /** Clip-space projection matrix elements of the current camera. */
  viewProjection() {
    this.camera.updateMatrixWorld();
    return new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse).elements;
  }

  /**
   * Screen coordinates (CSS pixels) of the current epoch's points, cached until the camera,
   * epoch or filters change: Float32Array of 2*T*U (NaN for points hidden by a filter or behind
   * the camera).
   */
  projectCurrent() {
    if (!this.projectionDirty && this.projected) return this.projected;
    const d = this.data;
    const tu = d.T * d.U;
    const out = this.projected && this.projected.length === 2 * tu ? this.projected : new Float32Array(2 * tu);
    this.projectRange(this.epoch * tu, tu, out);
    this.projected = out;
    this.projectedAll = null;
    this.projectionDirty = false;
    return out;
  }

  /** Screen coordinates of every drawn node (other epochs only when shown): 2*N floats. */
  projectDrawn() {
    const current = this.projectCurrent();
    if (this.projectedAll) return this.projectedAll;
    const d = this.data;
    const tu = d.T * d.U;
    const out = new Float32Array(2 * d.N).fill(NaN);
    if (this.showContext) this.projectRange(0, d.N, out);
    else out.set(current, 2 * this.epoch * tu);
    this.projectedAll = out;
    return out;
  }

  /** Nearest current-epoch point to (x, y) within radius pixels: its index within the epoch, or -1. */
  nearest(x, y, radius) {
    return nearestIn(this.projectCurrent(), x, y, radius);
  }

  /** CSS-pixel box [x0, y0, x1, y1] holding every drawn point (for cropping figures). */
  drawnBounds() {
    return boundsOf(this.projectDrawn(), this.width, this.height);
  }

  /**
   * Render once at `scale` x the CSS size and hand the canvas to `use` synchronously (the
   * drawing buffer is not preserved), then restore the on-screen resolution.
   */
  renderScaled(scale, use) {
    const r = this.renderer;
    const ratio = Math.max(0.5, Math.min(8, scale));
    r.setPixelRatio(ratio);
    r.setSize(this.width, this.height, false);
    this.forEachMaterial((u) => (u.uPixelRatio.value = ratio));
    this.contextDirty = true;
    try {
      this.render();
      return use(this.canvas, ratio);
    } finally {
      r.setPixelRatio(this.pixelRatio);
      r.setSize(this.width, this.height, false);
      this.forEachMaterial((u) => (u.uPixelRatio.value = this.pixelRatio));
      this.contextDirty = true;
      this.render();
    }
  }

  dispose() {
    this.controls.dispose();
    this.geometry.dispose();
    this.lodGeometry.dispose();
    this.contextTarget.dispose();
    this.quadMaterial.dispose();
    this.quadScene.children[0].geometry.dispose();
    this.currentGeometry.dispose();
    this.lineGeometry.dispose();
    this.arrowGeometry.dispose();
    this.contextMaterial.dispose();
    this.currentMaterial.dispose();
    this.lineMaterial.dispose();
    this.arrowMaterial.dispose();
    for (const t of Object.values(this.textures)) t.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.canvas.remove();
  }
}
