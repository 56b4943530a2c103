"""The canvas: the photo, the inpainted result, the mask overlay and the brush outline, with zoom and pan.

Left button paints, right button erases (the eraser tool makes the left button erase too). With the lasso
tool a drag draws an outline whose inside is filled on release (right button: removed); Escape drops it.
Space+drag or the middle button pans; Ctrl+wheel zooms about the pointer. Hold Tab to see the original photo.
"""

from __future__ import annotations

import enum

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QTransform
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from in2_studio.gui.document import Document
from in2_studio.gui.mask_layer import MaskLayer, MaskPatch, Rect, bounding_rect

MIN_ZOOM = 0.01
MAX_ZOOM = 32.0
ZOOM_STEP = 1.25
MAX_FIT_ZOOM = 4.0
EMPTY_HINT = "Open a face photo to begin\n\nFile → Open (Ctrl+O), drag it here, or paste it (Ctrl+V)"


class Tool(enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    LASSO = "lasso"


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an H×W×3 uint8 RGB array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format_RGB888).copy()


def rgb_to_pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    # fromImage copies the pixels, so the array only has to live through this call.
    return QPixmap.fromImage(QImage(rgb.data, width, height, rgb.strides[0], QImage.Format_RGB888))


class MaskOverlayItem(QGraphicsItem):
    """Draws only the exposed part of the mask layer's overlay image; repaints only what a dab touched."""

    def __init__(self, layer: MaskLayer):
        super().__init__()
        self._layer = layer
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        layer.changed.connect(self._on_mask_changed)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._layer.width, self._layer.height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        exposed = option.exposedRect.toAlignedRect().intersected(QRect(0, 0, self._layer.width, self._layer.height))
        if exposed.isEmpty():
            return
        # Crisp pixels when zoomed in, smoothed when zoomed out.
        zoom = painter.worldTransform().m11()
        painter.setRenderHint(QPainter.SmoothPixmapTransform, zoom < 1.0)
        painter.drawImage(exposed, self._layer.overlay_image, exposed)

    def _on_mask_changed(self, rect: QRect) -> None:
        self.update(QRectF(rect))


class BrushCursorItem(QGraphicsItem):
    """The brush outline: a black and a white circle, one screen pixel wide at every zoom."""

    def __init__(self):
        super().__init__()
        self._diameter = 40.0
        self.setZValue(100)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set_diameter(self, diameter: float) -> None:
        self.prepareGeometryChange()
        self._diameter = float(diameter)

    @property
    def diameter(self) -> float:
        return self._diameter

    def boundingRect(self) -> QRectF:
        r = self._diameter / 2 + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = self._diameter / 2
        painter.setRenderHint(QPainter.Antialiasing, True)
        for color, width in ((QColor(0, 0, 0, 200), 3.0), (QColor(255, 255, 255, 230), 1.2)):
            pen = QPen(color, width)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(QPointF(0, 0), r, r)


class LassoOutlineItem(QGraphicsPathItem):
    """The lasso's outline while it is drawn, closed back to its start: dark under light, one screen pixel wide."""

    def __init__(self):
        super().__init__()
        self.setZValue(100)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set_points(self, points: list[tuple[float, float]]) -> None:
        path = QPainterPath()
        if points:
            path.moveTo(*points[0])
            for point in points[1:]:
                path.lineTo(*point)
            path.closeSubpath()
        self.setPath(path)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setBrush(Qt.NoBrush)
        for pen in (QPen(QColor(0, 0, 0, 200), 3.0), QPen(QColor(255, 255, 255), 1.2, Qt.DashLine)):
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(self.path())


class Canvas(QGraphicsView):
    strokeStarted = Signal()
    strokeFinished = Signal(object)  # MaskPatch, or None when the stroke changed nothing
    zoomChanged = Signal(float)
    compareHeld = Signal(bool)  # Tab pressed / released
    brushSizeChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(38, 40, 44))
        self.setFrameShape(QFrame.NoFrame)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, True)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        # Drops go to the main window, which opens the file.
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)

        self._document: Document | None = None
        self._photo_item: QGraphicsPixmapItem | None = None
        self._result_item: QGraphicsPixmapItem | None = None
        self._overlay_item: MaskOverlayItem | None = None
        self._cursor_item = BrushCursorItem()
        self._cursor_item.setVisible(False)
        self.scene().addItem(self._cursor_item)
        self._lasso_item = LassoOutlineItem()
        self._lasso_item.setVisible(False)
        self.scene().addItem(self._lasso_item)
        self._base_pixmap: QPixmap | None = None
        self._original_pixmap: QPixmap | None = None

        self._brush_size = 40
        self._tool = Tool.BRUSH
        self._mask_visible = True
        self._comparing = False
        self._fit_mode = True
        self._stroke_last: tuple[float, float] | None = None
        self._stroke_button = Qt.NoButton
        self._lasso_points: list[tuple[float, float]] | None = None  # the outline of a lasso being drawn
        self.stroke_name = "Brush stroke"  # what the undo history calls the last stroke
        self._pan_last: QPointF | None = None
        self._space_down = False
        self._tab_down = False
        self._update_cursor_shape()

    # -- document --------------------------------------------------------------------------------
    @property
    def document(self) -> Document | None:
        return self._document

    def set_document(self, document: Document | None) -> None:
        if self._document is not None:
            self._document.baseChanged.disconnect(self._on_base_changed)
        scene = self.scene()
        for item in (self._photo_item, self._result_item, self._overlay_item):
            if item is not None:
                scene.removeItem(item)
        self._photo_item = self._result_item = self._overlay_item = None
        self._base_pixmap = self._original_pixmap = None
        self._document = document
        self._stroke_last = None
        self._drop_lasso_outline()
        if document is None:
            scene.setSceneRect(QRectF())
            self.viewport().update()
            return
        document.baseChanged.connect(self._on_base_changed)
        self._base_pixmap = rgb_to_pixmap(document.base)
        self._photo_item = QGraphicsPixmapItem(self._base_pixmap)
        self._photo_item.setTransformationMode(Qt.SmoothTransformation)
        self._photo_item.setZValue(0)
        self._photo_item.setAcceptedMouseButtons(Qt.NoButton)
        scene.addItem(self._photo_item)
        self._result_item = QGraphicsPixmapItem()
        self._result_item.setZValue(1)
        self._result_item.setTransformationMode(Qt.SmoothTransformation)
        self._result_item.setAcceptedMouseButtons(Qt.NoButton)
        scene.addItem(self._result_item)
        self._overlay_item = MaskOverlayItem(document.mask)
        self._overlay_item.setZValue(2)
        self._overlay_item.setVisible(self._mask_visible)
        scene.addItem(self._overlay_item)
        scene.setSceneRect(QRectF(0, 0, document.width, document.height))
        self._apply_compare()
        self.fit_to_window()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._document is not None:
            return
        # The empty window says how to begin.
        painter.save()
        painter.resetTransform()
        painter.setPen(QColor(150, 153, 160))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        painter.setFont(font)
        painter.drawText(self.viewport().rect(), Qt.AlignCenter, EMPTY_HINT)
        painter.restore()

    def _on_base_changed(self) -> None:
        if self._document is None or self._photo_item is None:
            return
        self._base_pixmap = rgb_to_pixmap(self._document.base)
        self._apply_compare()

    def show_result(self, result: np.ndarray | None, rect: Rect | None = None) -> None:
        """Show an inpainting result over the base photo (None hides it).

        Only `rect` (the job's mask's bounding box; found from the pixels when not given) becomes a pixmap:
        outside the mask the result equals the base, so a 12-megapixel photo costs a small patch.
        """
        if self._result_item is None or self._document is None:
            return
        if result is None:
            self._result_item.setPixmap(QPixmap())
            return
        if rect is None:
            rect = bounding_rect(np.any(result != self._document.base, axis=2))
        if rect is None:
            self._result_item.setPixmap(QPixmap())
            return
        ys, xs = rect.slices
        self._result_item.setPixmap(rgb_to_pixmap(result[ys, xs]))
        self._result_item.setOffset(rect.x0, rect.y0)

    def has_result_shown(self) -> bool:
        return self._result_item is not None and not self._result_item.pixmap().isNull()

    # -- display toggles -------------------------------------------------------------------------
    def set_mask_visible(self, visible: bool) -> None:
        self._mask_visible = visible
        self._apply_compare()

    @property
    def mask_visible(self) -> bool:
        return self._mask_visible

    def set_comparing(self, comparing: bool) -> None:
        """Show the photo as it was opened (no result, no mask) while `comparing` is on."""
        self._comparing = comparing
        self._apply_compare()

    @property
    def comparing(self) -> bool:
        return self._comparing

    def _apply_compare(self) -> None:
        if self._photo_item is None or self._document is None:
            return
        if self._comparing:
            if self._original_pixmap is None:
                same = self._document.original is self._document.base
                self._original_pixmap = self._base_pixmap if same else rgb_to_pixmap(self._document.original)
            self._photo_item.setPixmap(self._original_pixmap)
        else:
            self._photo_item.setPixmap(self._base_pixmap)
        self._result_item.setVisible(not self._comparing)
        self._overlay_item.setVisible(self._mask_visible and not self._comparing)

    # -- brush -----------------------------------------------------------------------------------
    @property
    def brush_size(self) -> int:
        return self._brush_size

    def set_brush_size(self, size: int) -> None:
        size = int(min(max(size, 1), 1000))
        if size == self._brush_size:
            return
        self._brush_size = size
        self._cursor_item.set_diameter(size)
        self.brushSizeChanged.emit(size)

    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        self._tool = tool
        self._cursor_item.setVisible(self._cursor_item.isVisible() and tool is not Tool.LASSO)

    # -- zoom ------------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor_under_mouse: bool = False) -> None:
        self._fit_mode = False
        self._set_zoom(zoom, anchor_under_mouse)

    def _set_zoom(self, zoom: float, anchor_under_mouse: bool = False) -> None:
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self.setTransformationAnchor(
            QGraphicsView.AnchorUnderMouse if anchor_under_mouse else QGraphicsView.AnchorViewCenter
        )
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self._zoom_updated()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        """100 %: one photo pixel per device pixel, also on high-DPI screens."""
        self.set_zoom(1.0 / max(self.devicePixelRatioF(), 1.0))

    def fit_to_window(self) -> None:
        self._fit_mode = True
        if self._document is None:
            return
        view = self.viewport().rect()
        if view.width() < 2 or view.height() < 2:
            return
        margin = 16
        zoom = min((view.width() - margin) / self._document.width, (view.height() - margin) / self._document.height)
        # A small photo is enlarged to be easy to paint on, but not into a blur of giant pixels.
        self._set_zoom(min(max(zoom, MIN_ZOOM), MAX_FIT_ZOOM))
        self.centerOn(self._document.width / 2, self._document.height / 2)

    def _zoom_updated(self) -> None:
        zoom = self.zoom
        # Smooth up to the fit limit (small photos enlarged to paint on); real pixels when zoomed in further.
        mode = Qt.FastTransformation if zoom > MAX_FIT_ZOOM else Qt.SmoothTransformation
        for item in (self._photo_item, self._result_item):
            if item is not None:
                item.setTransformationMode(mode)
        self.zoomChanged.emit(zoom)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit_to_window()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier:
            delta = event.angleDelta().y() or event.pixelDelta().y()
            if delta:
                self.set_zoom(self.zoom * (1.0015**delta), anchor_under_mouse=True)
            event.accept()
            return
        super().wheelEvent(event)

    # -- mouse: paint, erase, pan ----------------------------------------------------------------
    def image_point(self, view_pos: QPointF) -> tuple[float, float]:
        """Photo pixel coordinates (x, y) of a point on the viewport."""
        inverse, _ok = self.viewportTransform().inverted()
        p = inverse.map(QPointF(view_pos))
        return (p.x(), p.y())

    def mousePressEvent(self, event) -> None:
        button = event.button()
        if button == Qt.MiddleButton or (button == Qt.LeftButton and self._space_down):
            self._pan_last = event.position()
            self._update_cursor_shape()
            event.accept()
            return
        if button in (Qt.LeftButton, Qt.RightButton) and self._document is not None:
            if self._stroke_last is not None:  # a second button during a stroke: ignore it
                event.accept()
                return
            erase = button == Qt.RightButton or self._tool is Tool.ERASER
            point = self.image_point(event.position())
            self._stroke_button = button
            self.strokeStarted.emit()
            self._document.mask.begin_stroke(erase=erase)
            if self._tool is Tool.LASSO:
                self.stroke_name = "Lasso"
                self._lasso_points = [point]
                self._lasso_item.set_points(self._lasso_points)
                self._lasso_item.setVisible(True)
            else:
                self.stroke_name = "Brush stroke"
                self._document.mask.paint_segment(point, point, self._brush_size)
            self._stroke_last = point
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        self._move_cursor(event.position())
        if self._pan_last is not None:
            delta = event.position() - self._pan_last
            self._pan_last = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            event.accept()
            return
        if self._stroke_last is not None and self._document is not None:
            point = self.image_point(event.position())
            if self._lasso_points is not None:
                self._lasso_points.append(point)
                self._lasso_item.set_points(self._lasso_points)
            else:
                self._document.mask.paint_segment(self._stroke_last, point, self._brush_size)
            self._stroke_last = point
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_last is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_last = None
            self._update_cursor_shape()
            event.accept()
            return
        if self._stroke_last is not None and event.button() == self._stroke_button:
            self.finish_stroke()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def finish_stroke(self) -> MaskPatch | None:
        """End the stroke in progress (if any) and announce what it changed."""
        if self._stroke_last is None or self._document is None:
            return None
        self._stroke_last = None
        self._stroke_button = Qt.NoButton
        if self._lasso_points is not None:
            self._document.mask.fill_polygon(self._lasso_points)
            self._drop_lasso_outline()
        patch = self._document.mask.end_stroke()
        self.strokeFinished.emit(patch)
        return patch

    def cancel_lasso(self) -> None:
        """Drop the lasso being drawn: nothing was filled yet, so the stroke ends with the mask as it was."""
        if self._lasso_points is None:
            return
        self._drop_lasso_outline()
        self.finish_stroke()

    def _drop_lasso_outline(self) -> None:
        self._lasso_points = None
        self._lasso_item.set_points([])
        self._lasso_item.setVisible(False)

    @property
    def stroking(self) -> bool:
        return self._stroke_last is not None

    def _move_cursor(self, view_pos: QPointF) -> None:
        x, y = self.image_point(view_pos)
        self._cursor_item.setPos(x, y)
        shown = self._document is not None and not self._space_down and self._tool is not Tool.LASSO
        self._cursor_item.setVisible(shown)

    def enterEvent(self, event) -> None:
        self.setFocus(Qt.MouseFocusReason)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        self._cursor_item.setVisible(False)
        super().leaveEvent(event)

    def _update_cursor_shape(self) -> None:
        if self._pan_last is not None:
            shape = Qt.ClosedHandCursor
        elif self._space_down:
            shape = Qt.OpenHandCursor
        else:
            shape = Qt.CrossCursor
        self.viewport().setCursor(shape)
        if self._space_down or self._pan_last is not None:
            self._cursor_item.setVisible(False)

    # -- keys: Space pans, Tab compares, Escape drops a lasso ------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self._lasso_points is not None:
            self.cancel_lasso()
            event.accept()
            return
        if event.key() == Qt.Key_Space:
            if not event.isAutoRepeat():
                self._space_down = True
                self._update_cursor_shape()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space:
            if not event.isAutoRepeat():
                self._space_down = False
                self._update_cursor_shape()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def event(self, event) -> bool:
        # Tab normally moves the focus; on the canvas it is held down to compare with the original.
        if event.type() in (event.Type.KeyPress, event.Type.KeyRelease) and event.key() == Qt.Key_Tab:
            if not event.isAutoRepeat():
                self._tab_down = event.type() == event.Type.KeyPress
                self.compareHeld.emit(self._tab_down)
            event.accept()
            return True
        return super().event(event)

    def focusOutEvent(self, event) -> None:
        # A key released while another widget has focus would leave these stuck.
        self._space_down = False
        self._pan_last = None
        self._update_cursor_shape()
        if self._tab_down:
            self._tab_down = False
            self.compareHeld.emit(False)
        super().focusOutEvent(event)
