"""A circuit as a picture people read: the data encoding as one labelled box, the searched cell
once, and its repeat count.

:func:`draw_circuit` writes a PNG (and an SVG) with matplotlib. With a re-uploading space the
circuit is ``R`` copies of (encoding, cell): the picture shows one copy inside a dashed frame
marked ``x R``. Controlled gates are a dot on the control and a box on the target; symmetric
two-qubit gates (CZ, SWAP, RZZ) mark both wires alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from qas.core.circuit import CircuitDAG, Gate
from qas.core.gates import GATES


def cell_of(dag: CircuitDAG, space: Any) -> tuple[list[Gate], int, Any]:
    """``(cell gates, copies, encoding)``: one block of ``dag`` as its space builds it, or all
    of ``dag``'s gates (copies 1, no encoding) when the space cannot take it apart."""
    if space is not None and space.contains(dag):
        if space.encoding is not None:
            return list(space.cell_space.ansatz(space.lower(dag))), space.reuploads, space.encoding
        return list(space.ansatz(dag)), 1, None  # the initial-state preparation left out
    return list(dag.gates), 1, None


def cell_text(dag: CircuitDAG, space: Any) -> str:
    """The cell alone, one line per layer of gates that can run at once: ``RX q1, CNOT q1->q2``."""
    gates, _, _ = cell_of(dag, space)
    gates = [g for g in gates if g.role != "feature"]
    cols = _columns(gates, dag.num_qubits, 0)
    lines = []
    for c in range(max(cols, default=-1) + 1):
        here = [g for g, x in zip(gates, cols) if x == c]
        lines.append(f"layer {c + 1}: " + ", ".join(_gate_text(g) for g in here))
    return "\n".join(lines)


def _gate_text(g: Gate) -> str:
    if len(g.qubits) == 1:
        return f"{g.kind} q{g.qubits[0]}"
    sep = "->" if GATES.get(g.kind).controlled else "-"
    return f"{g.kind} q{g.qubits[0]}{sep}q{g.qubits[1]}"


def _columns(gates: Sequence[Gate], n: int, start: int) -> list[int]:
    """Greedy layering; a two-qubit gate's line blocks the wires it crosses."""
    front = [start] * n
    cols = []
    for g in gates:
        lo, hi = min(g.qubits), max(g.qubits)
        col = max(front[lo:hi + 1])
        cols.append(col)
        for q in range(lo, hi + 1):
            front[q] = col + 1
    return cols


def draw_circuit(dag: CircuitDAG, path: str | Path, *, space: Any = None, title: str = "") -> list[Path]:
    """Draw ``dag`` to ``path`` (``.png``; an ``.svg`` beside it); returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

    n = dag.num_qubits
    gates, copies, encoding = cell_of(dag, space)
    start = 2 if encoding is not None else 0
    cols = _columns(gates, n, start)
    width = max(cols, default=start - 1) + 1
    fig, ax = plt.subplots(figsize=(max(4.0, 0.62 * width + 1.6), 0.62 * n + 1.1), dpi=150)
    y = {q: n - 1 - q for q in range(n)}
    for q in range(n):
        ax.plot([-0.6, width - 0.4], [y[q]] * 2, color="0.35", lw=1, zorder=0)
        ax.text(-0.75, y[q], f"q{q}", ha="right", va="center", fontsize=9)

    def box(x: float, yy: float, label: str, color: str = "#dbe9f7", w: float = 0.8, h: float = 0.55) -> None:
        ax.add_patch(FancyBboxPatch((x - w / 2, yy - h / 2), w, h, boxstyle="round,pad=0.02", fc=color, ec="0.2", lw=0.8, zorder=2))
        ax.text(x, yy, label, ha="center", va="center", fontsize=7 if len(label) > 3 else 8, zorder=3)

    if encoding is not None:
        label = f"encode\n{encoding.num_features} features\n" + ",".join(encoding.rotations)
        if encoding.weighted:
            label += "\nw·x + b"
        ax.add_patch(FancyBboxPatch((0.1, -0.35), 1.3, n - 0.3, boxstyle="round,pad=0.02", fc="#fde8c8", ec="0.2", lw=0.8, zorder=2))
        ax.text(0.75, (n - 1) / 2, label, ha="center", va="center", fontsize=7, zorder=3)
    for g, x in zip(gates, cols):
        kind = GATES.get(g.kind)
        name = g.kind if g.role != "feature" else f"{g.kind}\nx{g.feature}"
        if len(g.qubits) == 1:
            box(x, y[g.qubits[0]], name)
            continue
        a, b = (y[q] for q in g.qubits)
        ax.plot([x, x], [a, b], color="0.2", lw=1, zorder=1)
        if kind.controlled:
            ax.add_patch(Circle((x, a), 0.09, color="0.1", zorder=3))
            target = g.kind[1:] if g.kind.startswith("C") and g.kind != "CNOT" else "X"
            if target == "X":
                ax.add_patch(Circle((x, b), 0.2, fc="white", ec="0.1", lw=1, zorder=3))
                ax.plot([x - 0.2, x + 0.2], [b, b], color="0.1", lw=1, zorder=4)
                ax.plot([x, x], [b - 0.2, b + 0.2], color="0.1", lw=1, zorder=4)
            else:
                box(x, b, target)
        elif g.kind == "CZ":
            for yy in (a, b):
                ax.add_patch(Circle((x, yy), 0.09, color="0.1", zorder=3))
        elif g.kind == "SWAP":
            for yy in (a, b):
                ax.plot([x - 0.15, x + 0.15], [yy - 0.15, yy + 0.15], color="0.1", lw=1.2, zorder=3)
                ax.plot([x - 0.15, x + 0.15], [yy + 0.15, yy - 0.15], color="0.1", lw=1.2, zorder=3)
        else:
            for yy in (a, b):
                box(x, yy, g.kind[1:] if g.kind.startswith("R") else g.kind, color="#e3f2e1")
    if copies > 1:
        ax.add_patch(Rectangle((-0.05, -0.6), width + 0.1 - 0.3, n + 0.2, fill=False, ls="--", ec="#b04040", lw=1.2, zorder=1))
        ax.text(width - 0.3, n - 0.35, f"× {copies}", ha="right", va="bottom", fontsize=10, color="#b04040")
    ax.set_xlim(-1.3, width + 0.2)
    ax.set_ylim(-0.8, n + 0.3)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    out = [path, path.with_suffix(".svg")]
    for p in out:
        fig.savefig(p)
    plt.close(fig)
    return out
