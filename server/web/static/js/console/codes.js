// Reading a student's consent code: live from the camera, decoded in this
// browser (its own BarcodeDetector where it has one, else the vendored
// jsQR), or from a still photo that the server decodes in memory and drops
// at once. Then what the code is worth, from POST /v1/scans.

import { $, Problem, answer, api, clearError, reveal, showError, t } from "./common.js";
import { explainTeacher } from "./teacher.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** The longest side of a photo sent for decoding: enough pixels per module, a small upload. */
const PHOTO_MAX_SIDE = 2000;

/** Whether this browser can show a camera at all. */
export function cameraAvailable() {
  return Boolean(navigator.mediaDevices?.getUserMedia);
}

/** A decoder of video frames: the browser's own, else jsQR on the pixels. */
async function frameDecoder() {
  if ("BarcodeDetector" in globalThis) {
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => (await detector.detect(video))[0]?.rawValue ?? null;
      }
    } catch {
      // Fall through to jsQR.
    }
  }
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const { videoWidth: width, videoHeight: height } = video;
    if (!width || !height || !globalThis.jsQR) return null;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height);
    return globalThis.jsQR(pixels.data, width, height, { inversionAttempts: "attemptBoth" })?.data ?? null;
  };
}

/**
 * Shows the back camera in `video` and calls `found(text)` with the first
 * code read. Answers a function that stops the camera; throws when the
 * camera cannot be opened (no permission, no camera).
 */
export async function scanLive(video, found) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment" },
    audio: false,
  });
  video.srcObject = stream;
  await video.play();
  const decode = await frameDecoder();
  let running = true;
  const stop = () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const look = async () => {
    if (!running) return;
    let text = null;
    try {
      text = await decode(video);
    } catch {
      // A frame that could not be read: try the next one.
    }
    if (text && running) {
      stop();
      found(text);
      return;
    }
    // A few frames a second is enough, and spares a phone's battery.
    setTimeout(() => requestAnimationFrame(look), 150);
  };
  requestAnimationFrame(look);
  return stop;
}

/** `file` as a JPEG no larger than PHOTO_MAX_SIDE on its longer side. */
async function smaller(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Problem("image_unreadable", 400);
  }
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
}

/**
 * The text of the code in a still photo, read by the server (which keeps
 * nothing of it). Throws a `Problem` (`qr_not_found`, `image_unreadable`, ...).
 */
export async function readPhoto(file) {
  const photo = await smaller(file);
  let response;
  try {
    response = await fetch("/v1/scans/photo", {
      method: "POST",
      headers: { accept: "application/json", "content-type": "image/jpeg", "x-csrf-token": csrf },
      body: photo,
      credentials: "same-origin",
    });
  } catch {
    throw new Problem("network");
  }
  return (await answer(response)).text;
}

/** What a code is worth now: `POST /v1/scans`. */
export function judge(text) {
  return api("POST", "/v1/scans", { token: text.trim() });
}

/**
 * A scan's answer in words: `tone` (`ok` or `error`), a `headline`, and
 * the message ids of what it means.
 */
export function verdict(scan) {
  if (!scan.genuine) return { tone: "error", headline: "teacher-scan-not-genuine", why: `teacher-scan-error-${scan.error ?? "other"}` };
  const standing = {
    revoked: "teacher-scan-revoked",
    expired: "teacher-scan-expired",
    device_lost: "teacher-scan-device-lost",
    student_must_confirm: "teacher-scan-student-must-confirm",
  }[scan.standing];
  if (standing) return { tone: "error", headline: standing, why: `${standing}-why` };
  if (scan.guardian_required && !scan.guardian_signed) {
    return { tone: "error", headline: "teacher-scan-guardian-missing", why: "teacher-scan-guardian-missing-why" };
  }
  return { tone: "ok", headline: "teacher-scan-valid", why: "teacher-scan-valid-why" };
}

/**
 * Wires the page's code reader (the `camera-start` and `camera-stop`
 * buttons, the `camera` box with its `video`, the `code-photo` input and the
 * `reading` status) to hand the text of each code read to `codeRead`, and
 * shows what goes wrong. Returns the function that stops the camera.
 */
export function codeReader(codeRead) {
  let stopCamera = null;
  const cameraStopped = () => {
    stopCamera?.();
    stopCamera = null;
    $("camera").hidden = true;
    $("camera-stop").hidden = true;
    $("camera-start").hidden = !cameraAvailable();
  };
  $("camera-start").hidden = !cameraAvailable();
  $("camera-start").addEventListener("click", async () => {
    clearError();
    try {
      reveal($("camera"));
      $("camera-start").hidden = true;
      $("camera-stop").hidden = false;
      stopCamera = await scanLive($("video"), (text) => {
        cameraStopped();
        codeRead(text);
      });
    } catch {
      cameraStopped();
      showError(t("teacher-camera-refused"));
    }
  });
  $("camera-stop").addEventListener("click", cameraStopped);
  $("code-photo").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    clearError();
    $("reading").textContent = t("teacher-scan-reading");
    try {
      await codeRead(await readPhoto(file));
    } catch (error) {
      $("reading").textContent = "";
      showError(explainTeacher(error));
    } finally {
      event.target.value = "";
    }
  });
  return cameraStopped;
}
