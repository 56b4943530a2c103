"""The grain toggle in the window: on by default, remembered, and it makes the network's fill on show again."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from gui_support import FACE_JPEG, make_window  # noqa: E402

from in2_studio.engine import Inpainter  # noqa: E402
from in2_studio.imaging import read_image  # noqa: E402


def test_turning_grain_off_remakes_the_fill_smooth(qtbot, tmp_path, tiny_weights):
    window = make_window(qtbot, tmp_path, weights=tiny_weights)
    window.auto_action.setChecked(False)
    face = cv2.resize(read_image(FACE_JPEG).rgb, (500, 500), interpolation=cv2.INTER_CUBIC)  # seen reduced: grain
    assert window.open_rgb(face, "Face")
    mask = np.zeros((500, 500), np.uint8)
    mask[200:300, 140:360] = 255
    cv2.imwrite(str(tmp_path / "mask.png"), mask)
    assert window.load_mask(tmp_path / "mask.png")
    hole = mask != 0
    assert window.grain_action.isChecked() and window.settings.grain  # on by default

    def finished():
        return not window.worker.busy and window.stage_label.text().startswith("Done")

    window.inpaint_action.trigger()
    qtbot.waitUntil(finished, timeout=30000)
    grained = window.composite()[0].copy()

    window.grain_action.setChecked(False)
    assert not window.settings.grain
    qtbot.waitUntil(finished, timeout=30000)
    smooth = window.composite()[0]
    np.testing.assert_array_equal(smooth[~hole], face[~hole])
    np.testing.assert_array_equal(grained[~hole], face[~hole])
    # the engine's own fills, with and without grain (the worker's thread may round a level differently)
    engine = Inpainter.load(tiny_weights, device="cpu", working_size=window.settings.working_size, grain=False)
    plain = engine.inpaint(face, hole)
    distance = {
        name: np.abs(result.astype(int) - plain)[hole].mean() for name, result in (("off", smooth), ("on", grained))
    }
    assert distance["off"] < 0.1 and distance["on"] > 1.0
