"""The deal's environment as a phone-sized PNG: the deal in the centre, its participants on a
ring around it (coloured by attitude: supporter green, neutral grey, opponent red; sized by
influence; labelled with name and role), and what the next levels found on outer rings, each
node near the one it was reached from. Lines are the links, labelled with the link's name as
read from the inner side.

Takes the `Environment` of `services.environment` by duck typing (charts import only `core`);
`build_environment_figure` returns the Figure (tests read its texts), `render_environment_png`
the PNG bytes. Render off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from typing import Any, Protocol

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

from charts.common import (
    BLUE,
    DARK,
    FONT,
    GREEN,
    GREY,
    LIGHT_BLUE,
    PALE,
    RED,
    SMALL_SIZE,
    clean_axes,
    figure,
    fit_text,
    title,
    to_png,
)
from core.i18n import N_, gettext

SIZE_IN = 9.0  # 900 x 900 px
MAX_NODES = 20  # beyond that a phone picture is unreadable: the rest is counted
NAME_WIDTH = 15  # characters per label line
NODE_LABEL_SIZE = 15
EDGE_LABEL_SIZE = 13
RING_STEP = 1.4  # rings at radius 1, 2.4, 3.8: room for the labels between them
FAN_GAP_DEG, FAN_STEP_DEG = 22, 26  # children beside their parent's outward line

ROLE_NAMES = {
    "client": N_("Client"),
    "competitor": N_("Competitor"),
    "subcontractor": N_("Subcontractor"),
    "influencer": N_("Influencer"),
    "decision_maker": N_("Decision maker"),
    "other": N_("Other"),
}
ATTITUDE_NAMES = {
    "supporter": N_("Supporter"),
    "neutral": N_("Neutral"),
    "opponent": N_("Opponent"),
}
STATUS_NAMES = {"open": N_("In progress"), "won": N_("Won"), "lost": N_("Lost")}
LABELS = {
    "title": N_("Deal environment"),
    "depth": N_("Depth %(depth)s"),
    "works_at": N_("works at"),
    "more": N_("+%(n)s more not shown"),
    "won_the_deal": N_("won the deal"),
    "alone": N_("No participants yet"),
}
ATTITUDE_COLOURS = {"supporter": GREEN, "neutral": GREY, "opponent": RED}
OTHER_FILL = "#FFFFFF"
DEAL_FILL = LIGHT_BLUE


class NodeLike(Protocol):
    key: str
    kind: str
    label: str
    depth: int
    detail: str
    status: str | None
    role: str | None
    influence: int | None
    attitude: str | None
    won_the_deal: bool


class EdgeLike(Protocol):
    source: str
    target: str
    kind: str
    label: str
    role: str | None


class EnvironmentLike(Protocol):
    deal_id: int
    depth: int
    nodes: tuple[Any, ...]  # NodeLike, the deal first
    edges: tuple[Any, ...]  # EdgeLike


def render_environment_png(env: EnvironmentLike, *, locale: str = "uk") -> bytes:
    """PNG bytes of the deal's environment."""
    return to_png(build_environment_figure(env, locale=locale))


def build_environment_figure(env: EnvironmentLike, *, locale: str = "uk") -> Figure:
    _ = lambda message: gettext(message, locale)  # noqa: E731
    nodes = list(env.nodes[:MAX_NODES])
    hidden = len(env.nodes) - len(nodes)
    shown = {node.key for node in nodes}
    edges = [e for e in env.edges if e.source in shown and e.target in shown]
    root = nodes[0]

    fig = figure(SIZE_IN, SIZE_IN)
    subtitle = fit_text(root.detail, 48) if root.detail else ""
    title(fig, f"{_(LABELS['title'])} {root.label}", subtitle)
    ax = fig.add_axes((0.02, 0.08, 0.96, 0.8))
    clean_axes(ax)
    ax.set_aspect("equal")

    parent = _parents(nodes, edges)
    positions, rank = _layout(nodes, parent)
    _frame(ax, list(positions.values()))
    for edge in edges:
        _draw_edge(ax, edge, positions, rank, locale)
    labels = []
    for node in nodes:
        label = _draw_node(ax, node, positions[node.key], locale)
        if label is not None:
            labels.append((label, _marker_area(node)))
    _place_labels(fig, ax, labels)

    notes = []
    if len(nodes) == 1:
        notes.append(_(LABELS["alone"]))
    if hidden > 0:
        notes.append(_(LABELS["more"]) % {"n": hidden})
    notes.append(_(LABELS["depth"]) % {"depth": env.depth})
    fig.text(
        0.97,
        0.03,
        " · ".join(notes),
        ha="right",
        va="center",
        fontsize=SMALL_SIZE - 3,
        color=GREY,
        family=FONT,
    )
    _legend(fig, locale)
    return fig


# --- layout -----------------------------------------------------------------------------------


def _parents(nodes: list[Any], edges: list[Any]) -> dict[str, str]:
    """For each node beyond the first ring, the node of the previous ring it hangs from."""
    depth = {node.key: node.depth for node in nodes}
    parent: dict[str, str] = {}
    for edge in edges:
        for child, other in ((edge.target, edge.source), (edge.source, edge.target)):
            if child in parent or depth[child] < 2:
                continue
            if depth[other] == depth[child] - 1:
                parent[child] = other
    return parent


def _ring_order(node: Any) -> tuple[int, int, str]:
    roles = list(ROLE_NAMES)
    role = roles.index(node.role) if node.role in roles else len(roles)
    return (role, -(node.influence or 0), node.label)


def _layout(
    nodes: list[Any], parent: dict[str, str]
) -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """A radial tree: the first ring starts at the top and shares the circle; the nodes of the
    next rings fan out behind the node they were reached from, on both sides of the line from
    the centre, which stays free for the parent's label. Returns the positions and each node's
    rank among its siblings (edge labels alternate their distance by it)."""
    root = nodes[0]
    positions = {root.key: (0.0, 0.0)}
    rank: dict[str, int] = {}
    children: dict[str, list[Any]] = defaultdict(list)
    for node in nodes[1:]:
        children[parent.get(node.key, root.key) if node.depth > 1 else root.key].append(node)
    angles = {root.key: math.pi / 2}
    queue = [root]
    while queue:
        current = queue.pop(0)
        kids = sorted(children.get(current.key, []), key=_ring_order)
        if current is root:  # clockwise from the top
            slots = [math.pi / 2 - 2 * math.pi * i / max(1, len(kids)) for i in range(len(kids))]
        else:  # 25°, then every 30° more, alternately on each side
            gap, step = math.radians(FAN_GAP_DEG), math.radians(FAN_STEP_DEG)
            slots = [
                angles[current.key] + (1 if i % 2 == 0 else -1) * (gap + step * (i // 2))
                for i in range(len(kids))
            ]
        for index, (kid, angle) in enumerate(zip(kids, slots, strict=True)):
            radius = RING_STEP * kid.depth - (RING_STEP - 1)
            positions[kid.key] = (radius * math.cos(angle), radius * math.sin(angle))
            angles[kid.key] = angle
            rank[kid.key] = index
            queue.append(kid)
    return positions, rank


def _frame(ax: Any, points: list[tuple[float, float]]) -> None:
    """Square limits around the drawn nodes, with room for the labels."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1.2) / 2 + 0.75
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)


# --- drawing ----------------------------------------------------------------------------------


def _edge_text(edge: Any, locale: str) -> str:
    if edge.kind in ("works_at", "participant"):
        return ""  # the legend explains dotted lines; a role is written under the name
    return fit_text(edge.label or "", 22)


def _draw_edge(
    ax: Any,
    edge: Any,
    positions: dict[str, tuple[float, float]],
    rank: dict[str, int],
    locale: str,
) -> None:
    (x1, y1), (x2, y2) = positions[edge.source], positions[edge.target]
    dx, dy = x2 - x1, y2 - y1
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    # A line between two nodes of the same ring would cross the centre: bend it outward.
    same_ring = abs(math.hypot(x1, y1) - math.hypot(x2, y2)) < 0.3 and math.hypot(x1, y1) > 0
    rad = 0.0
    if same_ring:
        rad = 0.35 if mx * dy - my * dx >= 0 else -0.35
    style = {
        "participant": ("-", 2.0, GREY),
        "works_at": (":", 1.6, GREY),
    }.get(edge.kind, ("--", 1.4, DARK))
    ax.add_patch(
        FancyArrowPatch(
            (x1, y1),
            (x2, y2),
            arrowstyle="-",
            connectionstyle=f"arc3,rad={rad}",
            linestyle=style[0],
            linewidth=style[1],
            color=style[2],
            alpha=0.8,
            zorder=1,
            shrinkA=0,
            shrinkB=0,
        )
    )
    text = _edge_text(edge, locale)
    if not text:
        return
    if same_ring:  # the middle of the arc
        lx, ly = mx + rad / 2 * dy, my - rad / 2 * dx
    else:  # nearer the outer end, clear of the inner node's label
        outer_is_source = math.hypot(x1, y1) > math.hypot(x2, y2)
        outer = edge.source if outer_is_source else edge.target
        near = 0.78 if rank.get(outer, 0) % 4 < 2 else 0.58  # neighbours' labels alternate
        share = 1 - near if outer_is_source else near
        lx, ly = x1 + dx * share, y1 + dy * share
    ax.text(
        lx,
        ly,
        text,
        fontsize=EDGE_LABEL_SIZE,
        color=DARK,
        ha="center",
        va="center",
        family=FONT,
        zorder=3,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": PALE},
    )


def _marker_area(node: Any) -> float:
    influence = node.influence if node.influence else 3
    if node.role is not None and node.depth == 1:
        return 200.0 + 170.0 * influence  # influence 1..5 -> 370..1050 pt²
    return 300.0


def _node_text(node: Any, locale: str) -> str:
    _ = lambda message: gettext(message, locale)  # noqa: E731
    lines = textwrap.wrap(node.label, NAME_WIDTH, max_lines=2, placeholder="…") or [node.label]
    if node.kind == "deal":
        if node.status in STATUS_NAMES:
            lines.append(_(STATUS_NAMES[node.status]))
    elif node.role is not None and node.depth == 1:
        lines.append(_(ROLE_NAMES.get(node.role, node.role)))
        if node.won_the_deal:
            lines.append(_(LABELS["won_the_deal"]))
    elif node.kind == "contact" and node.detail:
        lines.append(fit_text(node.detail, NAME_WIDTH))
    return "\n".join(lines)


def _draw_node(ax: Any, node: Any, xy: tuple[float, float], locale: str) -> Any:
    """Draw the node; return its label (placed later), None for the deal in the centre."""
    x, y = xy
    if node.depth == 0:
        ax.text(
            x,
            y,
            fit_text(node.label, 14),
            fontsize=NODE_LABEL_SIZE,
            color="white",
            fontweight="bold",
            ha="center",
            va="center",
            family=FONT,
            zorder=5,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": BLUE, "edgecolor": BLUE},
        )
        return None
    if node.kind == "deal":
        face, edge_colour, marker = DEAL_FILL, BLUE, "s"
    elif node.role is not None and node.depth == 1:
        face = ATTITUDE_COLOURS.get(node.attitude or "neutral", GREY)
        edge_colour, marker = DARK, "o" if node.kind == "partner" else "D"
    else:
        face, edge_colour, marker = OTHER_FILL, GREY, "o" if node.kind == "partner" else "D"
    area = _marker_area(node)
    ax.scatter(
        [x],
        [y],
        s=area,
        marker=marker,
        facecolor=face,
        edgecolor=edge_colour,
        linewidth=1.5,
        zorder=4,
    )
    return ax.annotate(
        _node_text(node, locale),
        xy=(x, y),
        xytext=(0, 0),
        textcoords="offset points",
        fontsize=NODE_LABEL_SIZE,
        color=DARK,
        family=FONT,
        zorder=6,
        bbox={
            "boxstyle": "round,pad=0.1",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.85,
        },
    )


def _aim(label: Any, direction: float, offset: float) -> None:
    """Put a node's label `offset` points from its node, toward `direction` (radians)."""
    ux, uy = math.cos(direction), math.sin(direction)
    ha = "left" if ux > 0.3 else "right" if ux < -0.3 else "center"
    label.xyann = (ux * offset, uy * offset)
    label.set_horizontalalignment(ha)
    label.set_multialignment(ha)
    label.set_verticalalignment("bottom" if uy > 0.3 else "top" if uy < -0.3 else "center")


def _place_labels(fig: Figure, ax: Any, placed: list[tuple[Any, float]]) -> None:
    """Each node's label goes outward from the centre unless it would cover another label, a
    node or a link's name; then the first free side around its node (or the least covered)."""
    renderer = fig.canvas.get_renderer()
    mine = {id(label) for label, _area in placed}
    obstacles = [t.get_window_extent(renderer) for t in ax.texts if id(t) not in mine]
    for label, area in placed:  # the markers
        x, y = ax.transData.transform(label.xy)
        radius = math.sqrt(area) / 2 * fig.dpi / 72
        obstacles.append(Bbox.from_extents(x - radius, y - radius, x + radius, y + radius))
    for label, area in placed:
        x, y = label.xy
        outward = math.atan2(y, x) if (x or y) else math.pi / 2
        offset = math.sqrt(area) / 2 + 4
        best, best_cover = outward, math.inf
        for turn in (0, 45, -45, 90, -90, 135, -135, 180):
            direction = outward + math.radians(turn)
            _aim(label, direction, offset)
            box = label.get_window_extent(renderer)
            cover = sum(_overlap(box, other) for other in obstacles)
            if cover < best_cover:
                best, best_cover = direction, cover
            if cover == 0:
                break
        _aim(label, best, offset)
        obstacles.append(label.get_window_extent(renderer))


def _overlap(a: Any, b: Any) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


def _legend(fig: Figure, locale: str) -> None:
    """Coloured dots with the attitudes and the dotted "works at" line, bottom left."""
    x = 0.03
    for attitude, colour in ATTITUDE_COLOURS.items():
        fig.text(
            x, 0.03, "●", fontsize=SMALL_SIZE + 4, color=colour, va="center", ha="left", family=FONT
        )
        label = gettext(ATTITUDE_NAMES[attitude], locale)
        fig.text(
            x + 0.03,
            0.03,
            label,
            fontsize=SMALL_SIZE - 2,
            color=DARK,
            va="center",
            ha="left",
            family=FONT,
        )
        x += 0.06 + 0.011 * len(label)
    fig.text(
        x,
        0.03,
        "┈┈ " + gettext(LABELS["works_at"], locale),
        fontsize=SMALL_SIZE - 2,
        color=DARK,
        va="center",
        ha="left",
        family=FONT,
    )
