"""The mask layer and its undo commands, without a window."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import distance_to_segment, signed_distance_to_polygon  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402

from in2_studio.gui.commands import MaskEditCommand  # noqa: E402
from in2_studio.gui.mask_layer import MaskLayer, bounding_rect, grown, inverted, shrunk  # noqa: E402


def test_segment_paints_round_brush_and_overlay(qapp):
    layer = MaskLayer(120, 80)
    layer.begin_stroke()
    layer.paint_segment((20.0, 30.0), (90.0, 50.0), diameter=16)
    patch = layer.end_stroke()
    distance = distance_to_segment((80, 120), (20, 30), (90, 50))
    assert layer.array[distance <= 8 - 1.5].all()
    assert not layer.array[distance > 8 + 1.5].any()
    # The overlay shows exactly the painted pixels (alpha > 0 where the mask is set).
    alpha = np.frombuffer(layer.overlay_image.constBits(), np.uint8).reshape(80, 120, 4)[:, :, 3]
    np.testing.assert_array_equal(alpha > 0, layer.array == 1)
    # The stroke's patch covers everything it painted, before (empty) and after.
    assert patch is not None
    box, rect = bounding_rect(layer.array), patch.rect
    assert rect.x0 <= box.x0 and rect.y0 <= box.y0 and rect.x1 >= box.x1 and rect.y1 >= box.y1
    assert not patch.before.any()
    np.testing.assert_array_equal(patch.after, layer.array[rect.slices])


def test_eraser_removes_only_under_the_brush(qapp):
    layer = MaskLayer(60, 60)
    layer.put(layer.full_rect(), np.ones((60, 60), np.uint8))
    layer.begin_stroke(erase=True)
    layer.paint_segment((30.0, 30.0), (30.0, 30.0), diameter=10)
    layer.end_stroke()
    distance = distance_to_segment((60, 60), (30, 30), (30, 30))
    assert not layer.array[distance <= 5 - 1.5].any()
    assert layer.array[distance > 5 + 1.5].all()


def test_stroke_undo_and_redo_restore_exactly(qapp):
    rng = np.random.default_rng(1)
    layer = MaskLayer(90, 70)
    start = (rng.random((70, 90)) < 0.3).astype(np.uint8)
    layer.put(layer.full_rect(), start)
    stack = QUndoStack()
    layer.begin_stroke()
    for a, b in [((5, 5), (40, 60)), ((40, 60), (85, 10))]:
        layer.paint_segment(a, b, diameter=7)
    after = layer.copy()
    stack.push(MaskEditCommand(layer, layer.end_stroke(), "stroke", already_applied=True))
    np.testing.assert_array_equal(layer.array, after)  # push did not paint twice or revert
    stack.undo()
    np.testing.assert_array_equal(layer.array, start)
    stack.redo()
    np.testing.assert_array_equal(layer.array, after)


def test_lasso_fills_the_inside_of_its_outline_and_erases_the_same_way(qapp):
    layer = MaskLayer(100, 80)
    outline = [(10.3, 8.7), (90.5, 20.2), (60.0, 75.4), (20.0, 50.0)]  # a concave-free quad, fractional corners
    layer.begin_stroke()
    layer.fill_polygon(outline)
    patch = layer.end_stroke()
    distance = signed_distance_to_polygon((80, 100), outline)
    assert layer.array[distance >= 1].all()
    assert not layer.array[distance <= -1].any()
    assert patch is not None and not patch.before.any()
    box, rect = bounding_rect(layer.array), patch.rect
    assert rect.x0 <= box.x0 and rect.y0 <= box.y0 and rect.x1 >= box.x1 and rect.y1 >= box.y1

    hole = [(30.0, 30.0), (50.0, 30.0), (50.0, 45.0), (30.0, 45.0)]
    layer.begin_stroke(erase=True)
    layer.fill_polygon(hole)
    layer.end_stroke()
    inside_hole = signed_distance_to_polygon((80, 100), hole) >= 1
    assert not layer.array[inside_hole].any()
    assert layer.array[(distance >= 1) & (signed_distance_to_polygon((80, 100), hole) <= -1)].all()


def test_lasso_of_fewer_than_three_points_or_off_the_photo_changes_nothing(qapp):
    layer = MaskLayer(40, 40)
    for outline in ([(5.0, 5.0)], [(5.0, 5.0), (30.0, 30.0)], [(-50.0, -50.0), (-10.0, -50.0), (-30.0, -10.0)]):
        layer.begin_stroke()
        layer.fill_polygon(outline)
        assert layer.end_stroke() is None
    assert not layer.array.any()


def test_stroke_that_changes_nothing_gives_no_patch(qapp):
    layer = MaskLayer(30, 30)
    layer.begin_stroke(erase=True)
    layer.paint_segment((10, 10), (20, 20), diameter=5)
    assert layer.end_stroke() is None


def test_grow_shrink_invert(qapp):
    mask = np.zeros((100, 100), np.uint8)
    mask[40:60, 40:60] = 1
    big = grown(mask, 5)
    assert big[35:65, 40:60].all() and big[40:60, 35:65].all()
    assert not big[:34].any() and not big[:, 66:].any()
    assert not big[35, 35]  # round kernel: the corner stays out
    np.testing.assert_array_equal(shrunk(big, 5)[40:60, 40:60], 1)
    small = shrunk(mask, 3)
    assert small[43:57, 43:57].all() and small.sum() == 14 * 14
    np.testing.assert_array_equal(inverted(inverted(mask)), mask)
    assert inverted(mask).sum() == 100 * 100 - 400


def test_mask_edit_command_round_trip(qapp):
    layer = MaskLayer(50, 40)
    layer.put(layer.full_rect(), np.eye(40, 50, dtype=np.uint8))
    before = layer.copy()
    stack = QUndoStack()
    stack.push(MaskEditCommand(layer, layer.patch_to(inverted(layer.array)), "invert"))
    np.testing.assert_array_equal(layer.array, 1 - before)
    stack.undo()
    np.testing.assert_array_equal(layer.array, before)


def test_patch_to_rejects_a_mask_of_another_size(qapp):
    with pytest.raises(ValueError):
        MaskLayer(10, 10).patch_to(np.zeros((5, 5)))
