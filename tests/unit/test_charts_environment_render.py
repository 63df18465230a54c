"""The deal environment picture: a phone-sized PNG with the deal in the centre, participants
coloured by attitude and sized by influence, every name, role and link name on it."""

from __future__ import annotations

import struct

from matplotlib.colors import to_hex
from matplotlib.text import Text

from charts.common import GREEN, GREY, RED
from charts.environment import MAX_NODES, build_environment_figure, render_environment_png
from services.environment import EnvEdge, Environment, EnvNode


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def environment() -> Environment:
    deal = EnvNode("deal:1", "deal", 1, "D-1", 0, detail="Поставка кави")
    nodes = (
        deal,
        EnvNode("partner:1", "partner", 1, "ТОВ Альфа", 1, role="client", attitude="neutral"),
        EnvNode(
            "contact:1",
            "contact",
            1,
            "Петренко Ігор",
            1,
            detail="Директор",
            role="decision_maker",
            influence=5,
            attitude="supporter",
        ),
        EnvNode(
            "partner:2",
            "partner",
            2,
            "ТОВ Бета",
            1,
            role="competitor",
            influence=1,
            attitude="opponent",
            won_the_deal=True,
        ),
        EnvNode("partner:3", "partner", 3, "ТОВ Гамма", 2),
        EnvNode("deal:2", "deal", 2, "D-2", 2, detail="Кавомашини", status="won"),
    )
    edges = (
        EnvEdge("deal:1", "partner:1", "participant", role="client"),
        EnvEdge("deal:1", "contact:1", "participant", role="decision_maker"),
        EnvEdge("deal:1", "partner:2", "participant", role="competitor"),
        EnvEdge("partner:1", "partner:3", "partner_link", "Отримує від"),
        EnvEdge("contact:1", "partner:1", "works_at"),
        EnvEdge("deal:2", "partner:2", "participant", role="competitor"),
    )
    return Environment(1, 2, nodes, edges)


def test_renders_a_phone_sized_png_with_names_roles_and_link_names():
    env = environment()

    data = render_environment_png(env, locale="en")
    fig = build_environment_figure(env, locale="en")

    width, height = png_size(data)
    assert 800 <= width <= 1400 and 800 <= height <= 1400
    assert 10_000 < len(data) < 2_000_000
    shown = "\n".join(texts(fig))
    for expected in (
        "D-1",
        "Поставка кави",
        "ТОВ Альфа",
        "Client",
        "Петренко Ігор",
        "Decision maker",
        "ТОВ Бета",
        "Competitor",
        "won the deal",
        "ТОВ Гамма",
        "Отримує від",
        "works at",
        "D-2",
        "Won",
        "Supporter",
        "Neutral",
        "Opponent",
        "Depth 2",
    ):
        assert expected in shown, expected


def test_participants_are_coloured_by_attitude_and_sized_by_influence():
    fig = build_environment_figure(environment(), locale="en")
    (ax,) = fig.axes

    markers = {}
    for collection in ax.collections:
        (size,) = collection.get_sizes()
        colour = to_hex(collection.get_facecolor()[0]).upper()
        markers[colour] = max(size, markers.get(colour, 0))

    assert {GREEN, GREY, RED} <= set(markers)
    assert markers[GREEN] > markers[RED]  # influence 5 against influence 1


def test_a_deal_without_participants_and_a_crowded_one_say_so():
    alone = Environment(1, 1, (EnvNode("deal:1", "deal", 1, "D-1", 0),), ())
    assert "No participants yet" in "\n".join(texts(build_environment_figure(alone, locale="en")))

    crowd = [EnvNode("deal:1", "deal", 1, "D-1", 0)]
    crowd += [
        EnvNode(f"partner:{i}", "partner", i, f"ТОВ Учасник {i}", 1, role="other")
        for i in range(1, MAX_NODES + 5)
    ]
    fig = build_environment_figure(Environment(1, 1, tuple(crowd), ()), locale="en")
    assert "+5 more not shown" in "\n".join(texts(fig))
    png_size(render_environment_png(Environment(1, 1, tuple(crowd), ()), locale="uk"))
