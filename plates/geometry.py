"""Plate geometry: segmentation mask -> quadrilateral, perspective warp (deskew) and crop trimming."""

from __future__ import annotations

import cv2
import numpy as np


def order_corners(points: np.ndarray) -> np.ndarray:
    """Order four points as top-left, top-right, bottom-right, bottom-left (image coordinates)."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen, starting near "left"
    # Start at the corner with the smallest x + y (top-left).
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def mask_quadrilateral(mask: np.ndarray) -> np.ndarray | None:
    """Four corners of the largest blob of a binary mask: a 4-point polygon approximation of its convex hull
    when one exists (keeps perspective), else its minimum-area rotated rectangle."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    if cv2.contourArea(contour) < 8:
        return None
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    rect = cv2.boxPoints(cv2.minAreaRect(hull))
    for fraction in (0.02, 0.03, 0.045, 0.06, 0.08):
        approx = cv2.approxPolyDP(hull, fraction * perimeter, True)
        if len(approx) == 4:
            quad = approx.reshape(4, 2).astype(np.float32)
            # A 4-gon that lost much of the blob is a bad fit (e.g. a clipped corner): use the rectangle.
            if cv2.contourArea(quad) >= 0.85 * cv2.contourArea(hull):
                return order_corners(quad)
            break
        if len(approx) < 4:
            break
    return order_corners(rect)


def quad_size(quad: np.ndarray) -> tuple[float, float]:
    tl, tr, br, bl = quad
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    return float(width), float(height)


def expand_quad(quad: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Grow a quadrilateral by fractions of its own width (dx, each side) and height (dy, each side)."""
    tl, tr, br, bl = np.asarray(quad, dtype=np.float32)
    horizontal = ((tr - tl) + (br - bl)) / 2
    vertical = ((bl - tl) + (br - tr)) / 2
    h_shift, v_shift = horizontal * dx, vertical * dy
    return np.array(
        [tl - h_shift - v_shift, tr + h_shift - v_shift, br + h_shift + v_shift, bl - h_shift + v_shift],
        dtype=np.float32,
    )


def warp_quad(image: np.ndarray, quad: np.ndarray, *, out_height: int = 64) -> np.ndarray:
    """Perspective-warp the quadrilateral to an upright rectangle of the plate's own aspect ratio."""
    width, height = quad_size(quad)
    height = max(height, 1.0)
    out_w = int(np.clip(round(out_height * width / height), 8, out_height * 12))
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_height - 1], [0, out_height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.asarray(quad, dtype=np.float32), target)
    return cv2.warpPerspective(
        image, matrix, (out_w, out_height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def skew_degrees(quad: np.ndarray) -> float:
    """Angle of the plate's horizontal edges against the image x axis, in degrees."""
    tl, tr, br, bl = np.asarray(quad, dtype=np.float32)
    top, bottom = tr - tl, br - bl
    angles = [np.degrees(np.arctan2(v[1], v[0])) for v in (top, bottom)]
    return float(np.mean(angles))


def crop_box(image: np.ndarray, box: tuple[int, int, int, int], *, trim_y: float = 0.0, pad_x: float = 0.0):
    """Axis-aligned crop; trim_y removes that fraction of the height at top and bottom (state names, slogans)."""
    xmin, ymin, xmax, ymax = box
    height, width = image.shape[:2]
    dy = (ymax - ymin) * trim_y
    dx = (xmax - xmin) * pad_x
    x0, x1 = max(int(round(xmin - dx)), 0), min(int(round(xmax + dx)), width)
    y0, y1 = max(int(round(ymin + dy)), 0), min(int(round(ymax - dy)), height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        x0, y0, x1, y1 = max(xmin, 0), max(ymin, 0), min(xmax, width), min(ymax, height)
    return image[y0:y1, x0:x1]


def plate_crop(
    image: np.ndarray,
    quad: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    trim_y: float = 0.05,
    pad_x: float = 0.02,
    deskew_min_degrees: float = 3.0,
    out_height: int = 64,
) -> np.ndarray:
    """The crop handed to the reader. Tilted or perspective-distorted plates are warped upright from their
    mask outline; near-frontal ones use the box (the mask edge is a few pixels noisy and a warp costs
    accuracy there). Either way trim_y off top and bottom keeps state names and slogans out."""
    quad = np.asarray(quad, dtype=np.float32)
    width, height = quad_size(quad)
    tl, tr, br, bl = quad
    left_h, right_h = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    keystone = abs(left_h - right_h) / max(left_h, right_h, 1.0)
    if abs(skew_degrees(quad)) < deskew_min_degrees and keystone < 0.12:
        return crop_box(image, box, trim_y=trim_y, pad_x=pad_x)
    return warp_quad(image, expand_quad(quad, pad_x, -trim_y), out_height=out_height)
