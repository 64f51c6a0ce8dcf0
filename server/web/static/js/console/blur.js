// Blurring the faces of people who may not appear: the teacher taps a
// face (or moves a marker there with the arrow keys and presses Enter) and
// this browser pixelates a circle around that point. No face is detected
// or recognised and nothing is sent: the photo stays on the phone.
//
// Pixelation averages each block of the circle into one colour, in the
// pixels of the saved file itself: the original cannot be got back from
// it, as it could from a blur filter laid over the top.

/** Blocks across a blurred circle: few enough that no face survives. */
const BLOCKS = 6;

/** How far one arrow key moves the marker, as a share of the longer side. */
const STEP = 0.02;

export class Editor {
  /**
   * Edits `bitmap` (the decoded photo) on `canvas`, shown at its full
   * resolution; `changed(count)` hears how many circles there are.
   */
  constructor(canvas, bitmap, changed) {
    this.canvas = canvas;
    this.bitmap = bitmap;
    this.changed = changed;
    this.circles = [];
    this.size = 0.08;
    this.marker = null;
    /** Whether taps and keys blur: only once the check said who may not appear. */
    this.active = false;
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    this.longer = Math.max(bitmap.width, bitmap.height);
    canvas.addEventListener("click", (event) => this.tap(event));
    canvas.addEventListener("keydown", (event) => this.key(event));
    canvas.addEventListener("focus", () => {
      this.marker ??= { x: bitmap.width / 2, y: bitmap.height / 2 };
      this.draw();
    });
    canvas.addEventListener("blur", () => this.draw());
    this.draw();
  }

  /** The radius of the next circle, in the photo's pixels. */
  get radius() {
    return Math.max(4, Math.round(this.longer * this.size));
  }

  /** Sets the size of the next circle, as a share of the photo's longer side. */
  setSize(share) {
    this.size = share;
    this.draw();
  }

  tap(event) {
    if (!this.active) return;
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * this.canvas.width) / box.width;
    const y = ((event.clientY - box.top) * this.canvas.height) / box.height;
    this.marker = { x, y };
    this.add(x, y);
  }

  key(event) {
    if (!this.active) return;
    const step = this.longer * STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key in moves) {
      const [dx, dy] = moves[event.key];
      this.marker = {
        x: Math.min(this.canvas.width, Math.max(0, this.marker.x + dx)),
        y: Math.min(this.canvas.height, Math.max(0, this.marker.y + dy)),
      };
      this.draw();
    } else if (event.key === "Enter" || event.key === " ") {
      this.add(this.marker.x, this.marker.y);
    } else {
      return;
    }
    event.preventDefault();
  }

  /** Blurs a circle of the current size around (x, y). */
  add(x, y) {
    this.circles.push({ x, y, r: this.radius });
    this.draw();
    this.changed(this.circles.length);
  }

  /** Takes back the last circle. */
  undo() {
    this.circles.pop();
    this.draw();
    this.changed(this.circles.length);
  }

  /** Draws the photo with its circles, and the marker while the photo has the focus. */
  draw() {
    const context = this.canvas.getContext("2d");
    paint(context, this.bitmap, this.circles);
    if (this.active && this.marker && document.activeElement === this.canvas) {
      const { x, y } = this.marker;
      context.lineWidth = Math.max(2, this.longer / 300);
      for (const [colour, dash] of [["#000", []], ["#ffbf47", [this.longer / 80]]]) {
        context.strokeStyle = colour;
        context.setLineDash(dash);
        context.beginPath();
        context.arc(x, y, this.radius, 0, 2 * Math.PI);
        context.stroke();
      }
      context.setLineDash([]);
    }
  }

  /** The edited photo as a JPEG file, without the marker. */
  async photo() {
    const canvas = document.createElement("canvas");
    canvas.width = this.bitmap.width;
    canvas.height = this.bitmap.height;
    paint(canvas.getContext("2d"), this.bitmap, this.circles);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  }
}

/** Draws `bitmap` with every circle pixelated. */
function paint(context, bitmap, circles) {
  context.drawImage(bitmap, 0, 0);
  const tile = document.createElement("canvas");
  tile.width = BLOCKS;
  tile.height = BLOCKS;
  const tiles = tile.getContext("2d");
  tiles.imageSmoothingEnabled = true;
  tiles.imageSmoothingQuality = "high";
  for (const { x, y, r } of circles) {
    // The square around the circle shrunk to BLOCKS × BLOCKS averaged
    // colours, then drawn back at full size without smoothing, inside the
    // circle only.
    // Kept inside the photo, so that no transparent edge lets the
    // original show through.
    const left = Math.max(0, x - r);
    const top = Math.max(0, y - r);
    const width = Math.min(bitmap.width, x + r) - left;
    const height = Math.min(bitmap.height, y + r) - top;
    if (width < 1 || height < 1) continue;
    tiles.clearRect(0, 0, BLOCKS, BLOCKS);
    tiles.drawImage(context.canvas, left, top, width, height, 0, 0, BLOCKS, BLOCKS);
    context.save();
    context.beginPath();
    context.arc(x, y, r, 0, 2 * Math.PI);
    context.clip();
    context.imageSmoothingEnabled = false;
    context.drawImage(tile, left, top, width, height);
    context.restore();
  }
}
