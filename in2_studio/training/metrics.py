"""Image quality metrics for inpainting: PSNR, SSIM, PSNR inside the hole, L1, and the detail in the hole.

Inputs are H×W×C arrays of the same shape: uint8 (range 255) or float (range 1). Masks are H×W, nonzero = hole.
"""

import cv2
import numpy as np

SSIM_WINDOW = 11  # Wang et al. 2004: an 11×11 gaussian window of sigma 1.5
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def _data_range(a: np.ndarray) -> float:
    return 255.0 if np.issubdtype(a.dtype, np.integer) else 1.0


def _check(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")


def _hole(mask: np.ndarray, image: np.ndarray, metric: str) -> np.ndarray:
    """The mask as booleans, refused unless it fits the image and marks at least one pixel."""
    hole = np.asarray(mask) != 0
    if hole.shape != image.shape[:2]:
        raise ValueError(f"mask shape {hole.shape} does not fit images of shape {image.shape}")
    if not hole.any():
        raise ValueError(f"{metric} needs a mask with at least one pixel set")
    return hole


def _psnr_from_mse(mse: float, data_range: float) -> float:
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over all pixels and channels; inf for identical images."""
    _check(a, b)
    diff = a.astype(np.float64) - b.astype(np.float64)
    return _psnr_from_mse(float(np.mean(diff * diff)), _data_range(a))


def hole_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the masked pixels only (all channels): what the inpainter actually painted."""
    _check(a, b)
    hole = _hole(mask, a, "hole_psnr")
    diff = a[hole].astype(np.float64) - b[hole].astype(np.float64)
    return _psnr_from_mse(float(np.mean(diff * diff)), _data_range(a))


def hole_detail(original: np.ndarray, result: np.ndarray, mask: np.ndarray) -> float:
    """How much fine structure the fill has, as a share of the photo's own: the mean gradient magnitude of
    the grey image over the hole's pixels, result over original. 1 is as sharp as the photo; a blurred
    fill scores well below 1 whatever its PSNR, so this shows what PSNR rewards away."""
    _check(original, result)
    hole = _hole(mask, original, "hole_detail")

    def energy(image: np.ndarray) -> float:
        grey = image.astype(np.float32).mean(axis=2) / _data_range(image)
        gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
        return float(np.sqrt(gx * gx + gy * gy)[hole].mean())

    reference = energy(original)
    return energy(result) / reference if reference > 0 else float("nan")


def l1(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute error in [0, 1] units."""
    _check(a, b)
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64))) / _data_range(a))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004) with an 11×11 gaussian window (sigma 1.5), K1 = 0.01,
    K2 = 0.03, population (co)variances, averaged over the windows that lie inside the image ("valid")
    and then over channels. 1.0 for identical images."""
    _check(a, b)
    if min(a.shape[:2]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels, got {a.shape}")
    data_range = _data_range(a)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]

    def blur(z: np.ndarray) -> np.ndarray:
        out = cv2.GaussianBlur(z, (SSIM_WINDOW, SSIM_WINDOW), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)
        return out.reshape(z.shape)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x * mu_x
    var_y = blur(y * y) - mu_y * mu_y
    cov = blur(x * y) - mu_x * mu_y
    score = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    r = SSIM_WINDOW // 2  # drop the border, where the window would reach outside the image
    return float(score[r:-r, r:-r].mean(axis=(0, 1)).mean())
