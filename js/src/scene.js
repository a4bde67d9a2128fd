// three.js scene: one shared point geometry drawn twice (faint other-epoch context, current epoch),
// colour / filtering / dimming on the GPU via uniforms and small data textures.
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { GLSL_COLORS, PALETTE, hexToRgb } from "./colors.js";
import { finiteRange } from "./data.js";

const TEX_W = 2048;
const LOD_POINTS = 40000;
const MISSING = -1.0e30;

const VERTEX = `
uniform int uT;
uniform int uU;
uniform int uEpoch;
uniform int uTimestep;
uniform int uMode;
uniform float uNE;
uniform float uNT;
uniform float uContext;
uniform float uPlaying;
uniform float uSelActive;
uniform float uPointSize;
uniform vec3 uBg;
uniform vec2 uIntraRange;
uniform vec2 uInterRange;
uniform sampler2D tSel;
uniform sampler2D tCluster;
uniform sampler2D tIntra;
uniform sampler2D tInter;
uniform vec3 uPalette[20];
attribute float aClass;
varying vec3 vColor;
${GLSL_COLORS}
float fetch1(sampler2D t, int i) {
  return texelFetch(t, ivec2(i % ${TEX_W}, i / ${TEX_W}), 0).r;
}
void main() {
  int id = gl_VertexID;
  int tu = uT * uU;
  int e = id / tu;
  int rem = id - e * tu;
  int t = rem / uU;
  int u = rem - t * uU;
  vec3 grey = vec3(0.6);
  vec3 c;
  if (uMode == 0) {
    c = viridis(uNE > 1.0 ? float(e) / (uNE - 1.0) : 0.5);
  } else if (uMode == 1) {
    c = viridis(uNT > 1.0 ? float(t) / (uNT - 1.0) : 0.5);
  } else if (uMode == 2) {
    c = hsl2rgb(fract(float(u) * 0.618033988749895), 0.65, 0.5);
  } else if (uMode == 3) {
    float k = fetch1(tCluster, u);
    c = k < 0.0 ? grey : uPalette[int(mod(k, 20.0))];
  } else if (uMode == 4) {
    float h = fetch1(tIntra, e * uT + t);
    c = h < -1.0e29 ? grey : viridis((h - uIntraRange.x) / (uIntraRange.y - uIntraRange.x));
  } else if (uMode == 5) {
    float h = fetch1(tInter, e * uU + u);
    c = h < -1.0e29 ? grey : viridis((h - uInterRange.x) / (uInterRange.y - uInterRange.x));
  } else {
    c = aClass > 254.5 ? grey : uPalette[int(mod(aClass, 20.0))];
  }
  float size = uPointSize;
  float fade = 0.0;
  bool selected = fetch1(tSel, u) > 0.5;
  if (uContext > 0.5) {
    fade = 0.8;
    size *= 0.75;
  } else if (uPlaying > 0.5) {
    if (t == uTimestep) size *= 2.0; else fade = 0.5;
  }
  if (uSelActive > 0.5) {
    if (selected) size *= 1.3; else fade = max(fade, uContext > 0.5 ? 0.95 : 0.82);
  }
  vColor = mix(c, uBg, fade);
  gl_PointSize = size;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`;

const FRAGMENT = `
varying vec3 vColor;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  gl_FragColor = vec4(vColor, 1.0);
}
`;

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

export const MODE_INDEX = {
  epoch: 0,
  timestep: 1,
  unit: 2,
  cluster: 3,
  intrastep_entropy: 4,
  interstep_entropy: 5,
  class: 6,
};

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
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.setSize(width, height);
    this.canvas = this.renderer.domElement;
    container.appendChild(this.canvas);

    this.scene = new THREE.Scene();
    const d = data;
    this.geometry = new THREE.BufferGeometry();
    this.geometry.setAttribute("position", new THREE.BufferAttribute(d.positions, 3));
    const cls = d.nodeClass || new Uint8Array(d.N).fill(255);
    this.geometry.setAttribute("aClass", new THREE.BufferAttribute(cls, 1));
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

    this.selection = new Float32Array(d.U);
    this.textures = {
      sel: dataTexture(this.selection, 0),
      cluster: dataTexture(d.clusters ? Float32Array.from(d.clusters) : null, -1),
      intra: dataTexture(d.intrastep, MISSING),
      inter: dataTexture(d.interstep, MISSING),
    };
    const intraRange = finiteRange(d.intrastep);
    const interRange = finiteRange(d.interstep);
    this.ranges = { intrastep_entropy: intraRange, interstep_entropy: interRange };
    const base = Math.max(1.5, Math.min(6, 9 - Math.log10(Math.max(10, d.N))));
    this.basePointSize = base;
    const uniforms = () => ({
      uT: { value: d.T },
      uU: { value: d.U },
      uEpoch: { value: 0 },
      uTimestep: { value: 0 },
      uMode: { value: 0 },
      uNE: { value: d.E },
      uNT: { value: d.T },
      uContext: { value: 0 },
      uPlaying: { value: 0 },
      uSelActive: { value: 0 },
      uPointSize: { value: base },
      uBg: { value: new THREE.Vector3(1, 1, 1) },
      uIntraRange: { value: new THREE.Vector2(...intraRange) },
      uInterRange: { value: new THREE.Vector2(...interRange) },
      tSel: { value: this.textures.sel },
      tCluster: { value: this.textures.cluster },
      tIntra: { value: this.textures.intra },
      tInter: { value: this.textures.inter },
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
    this.contextMaterial.uniforms.uEpoch.value = -1;
    this.contextScene = new THREE.Scene();
    this.contextPoints = new THREE.Points(this.geometry, this.contextMaterial);
    this.contextPoints.frustumCulled = false;
    const stride = Math.max(1, Math.ceil(d.N / LOD_POINTS));
    this.lodGeometry = new THREE.BufferGeometry();
    this.lodGeometry.setAttribute("position", this.geometry.getAttribute("position"));
    this.lodGeometry.setAttribute("aClass", this.geometry.getAttribute("aClass"));
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
    this.currentGeometry.setAttribute("position", this.geometry.getAttribute("position"));
    this.currentGeometry.setAttribute("aClass", this.geometry.getAttribute("aClass"));
    this.currentGeometry.boundingSphere = this.geometry.boundingSphere.clone();
    this.currentPoints = new THREE.Points(this.currentGeometry, this.currentMaterial);
    this.currentPoints.frustumCulled = false;
    this.currentPoints.renderOrder = 1;
    this.scene.add(this.currentPoints);

    this.trajMaterial = new THREE.LineBasicMaterial({ color: 0x222222, transparent: true, opacity: 0.75 });
    this.trajGeometry = new THREE.BufferGeometry();
    this.trajectories = new THREE.LineSegments(this.trajGeometry, this.trajMaterial);
    this.trajectories.frustumCulled = false;
    this.trajectories.renderOrder = 2;
    this.scene.add(this.trajectories);

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
    this.currentMaterial.uniforms.uEpoch.value = e;
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
  }

  pointsDrawn() {
    const d = this.data;
    return this.showContext ? d.N : d.T * d.U;
  }

  setTheme(theme) {
    const bg = new THREE.Color(theme.background);
    const fg = new THREE.Color(theme.foreground);
    this.renderer.setClearColor(bg, 1);
    const srgb = {};
    bg.getRGB(srgb, THREE.SRGBColorSpace);
    this.forEachMaterial((u) => u.uBg.value.set(srgb.r, srgb.g, srgb.b));
    this.trajMaterial.color.copy(fg);
    this.contextDirty = true;
  }

  /** Mark the selected units (a Set of unit positions). */
  setSelection(indices) {
    this.selection.fill(0);
    for (const i of indices) this.selection[i] = 1;
    const img = this.textures.sel.image.data;
    img.fill(0);
    img.set(this.selection);
    this.textures.sel.needsUpdate = true;
    this.selectedUnits = Array.from(indices).sort((a, b) => a - b);
    this.forEachMaterial((u) => (u.uSelActive.value = indices.size > 0 ? 1 : 0));
    this.contextDirty = true;
    this.updateTrajectories();
  }

  updateTrajectories() {
    const d = this.data;
    const units = (this.selectedUnits || []).slice(0, 1000);
    const segs = Math.max(0, d.T - 1);
    const arr = new Float32Array(units.length * segs * 6);
    let k = 0;
    for (const u of units) {
      for (let t = 0; t < segs; t++) {
        const a = ((this.epoch * d.T + t) * d.U + u) * 3;
        const b = ((this.epoch * d.T + t + 1) * d.U + u) * 3;
        arr[k++] = d.positions[a];
        arr[k++] = d.positions[a + 1];
        arr[k++] = d.positions[a + 2];
        arr[k++] = d.positions[b];
        arr[k++] = d.positions[b + 1];
        arr[k++] = d.positions[b + 2];
      }
    }
    this.trajGeometry.dispose();
    this.trajGeometry = new THREE.BufferGeometry();
    this.trajGeometry.setAttribute("position", new THREE.BufferAttribute(arr, 3));
    this.trajectories.geometry = this.trajGeometry;
    this.trajectories.visible = arr.length > 0;
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
          const size = r.getDrawingBufferSize(new THREE.Vector2());
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

  /**
   * Screen coordinates (CSS pixels) of the current epoch's points, cached until the camera or
   * epoch changes. Returns Float32Array of length 2*T*U (NaN for points behind the camera).
   */
  projectCurrent() {
    if (!this.projectionDirty && this.projected) return this.projected;
    const d = this.data;
    const tu = d.T * d.U;
    const out = this.projected && this.projected.length === 2 * tu ? this.projected : new Float32Array(2 * tu);
    this.camera.updateMatrixWorld();
    const m = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse).elements;
    const p = d.positions;
    const w2 = this.width / 2;
    const h2 = this.height / 2;
    const off = this.epoch * tu * 3;
    for (let i = 0; i < tu; i++) {
      const x = p[off + 3 * i];
      const y = p[off + 3 * i + 1];
      const z = p[off + 3 * i + 2];
      const w = m[3] * x + m[7] * y + m[11] * z + m[15];
      if (w <= 0) {
        out[2 * i] = NaN;
        out[2 * i + 1] = NaN;
        continue;
      }
      out[2 * i] = ((m[0] * x + m[4] * y + m[8] * z + m[12]) / w + 1) * w2;
      out[2 * i + 1] = (1 - (m[1] * x + m[5] * y + m[9] * z + m[13]) / w) * h2;
    }
    this.projected = out;
    this.projectionDirty = false;
    return out;
  }

  /** Nearest current-epoch point to (x, y) within radius pixels: its index within the epoch, or -1. */
  nearest(x, y, radius) {
    const pr = this.projectCurrent();
    let best = -1;
    let bestD = radius * radius;
    for (let i = 0, n = pr.length / 2; i < n; i++) {
      const dx = pr[2 * i] - x;
      const dy = pr[2 * i + 1] - y;
      const dd = dx * dx + dy * dy;
      if (dd <= bestD) {
        bestD = dd;
        best = i;
      }
    }
    return best;
  }

  toDataURL() {
    this.render();
    return this.canvas.toDataURL("image/png");
  }

  dispose() {
    this.controls.dispose();
    this.geometry.dispose();
    this.lodGeometry.dispose();
    this.contextTarget.dispose();
    this.quadMaterial.dispose();
    this.quadScene.children[0].geometry.dispose();
    this.currentGeometry.dispose();
    this.trajGeometry.dispose();
    this.contextMaterial.dispose();
    this.currentMaterial.dispose();
    this.trajMaterial.dispose();
    for (const t of Object.values(this.textures)) t.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.canvas.remove();
  }
}
