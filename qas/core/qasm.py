"""OpenQASM 3: a trained circuit out, runnable as it is, with its data features as inputs.

:func:`to_qasm3` writes every data feature the circuit reads as ``input float[64] x_<i>;`` and
every trained angle as a number, so Qiskit (``qiskit.qasm3.loads``) and PennyLane (through
Qiskit) run the exported classifier by binding its inputs. A feature gate with trainable
input scaling becomes ``ry(w * x_3 + b)`` with ``w``, ``b`` the trained numbers.

Each gate is written with its kind's ``qasm`` spelling (``GateKind.qasm``, OpenQASM 3's
``stdgates.inc`` names, plus a ``gate`` definition where one is needed, e.g. ``qas_rzz``); a
kind without one is decomposed through Cirq's own QASM 3 output. Spellings are exact up to a
global phase, which no measurement sees; qas's ``CU3`` keeps its relative phase exactly
(``cu(theta, phi, lam, theta / 2)``: see :mod:`qas.core.gates`). Qubit ``i`` is ``q[i]``.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.errors import CircuitError

_HEADER = re.compile(r"^(//|OPENQASM|include|qubit|qreg)")


def _num(v: float) -> str:
    return repr(float(v))


def to_qasm3(dag: CircuitDAG, params: Sequence[float] | np.ndarray) -> str:
    """OpenQASM 3 text of ``dag`` with its trained ``params``; features are inputs ``x_<i>``."""
    from qas.core.cirq_io import gate_angles

    if len(params) != dag.num_params:
        raise CircuitError(f"circuit has {dag.num_params} trainable parameters, got {len(params)} values")
    numeric = gate_angles(dag, params, np.zeros(dag.num_features))  # every angle a number (features at 0)
    body: list[str] = []
    definitions: dict[str, str] = {}
    for g, sl, angles in zip(dag.gates, dag.param_slices(), numeric):
        spec = g.spec
        qubits = ", ".join(f"q[{q}]" for q in g.qubits)
        if g.role == "feature":
            if spec.qasm is None:
                raise CircuitError(f"a feature gate of kind {g.kind} has no OpenQASM 3 spelling to carry its input")
            if g.weighted:
                w, b = (float(v) for v in np.asarray(params)[sl])
                angle = f"{_num(w)} * x_{g.feature} + {_num(b)}"
            else:
                angle = f"x_{g.feature}"
            text = [f"{spec.qasm.format(angle)} {qubits};"]
        elif spec.qasm is not None:
            text = [f"{spec.qasm.format(*(_num(a) for a in angles))} {qubits};"]
        else:
            text = _through_cirq(g, angles)
        if spec.qasm_definition:
            definitions.setdefault(g.kind, spec.qasm_definition)
        body += text
    lines = ["// Trained circuit found by qas: features are inputs x_<i>; trained angles are numbers.",
             "OPENQASM 3.0;", 'include "stdgates.inc";']
    lines += [f"input float[64] x_{i};" for i in range(dag.num_features)]
    lines += list(definitions.values())
    lines += [f"qubit[{dag.num_qubits}] q;"] + body
    return "\n".join(lines) + "\n"


def _through_cirq(g: Any, angles: Sequence[Any]) -> list[str]:
    """A gate without a QASM spelling, as Cirq's QASM 3 output decomposes it (numeric angles)."""
    import cirq

    qubits = cirq.LineQubit.range(max(g.qubits) + 1)
    op = g.spec.cirq_gate(tuple(float(a) for a in angles)).on(*(qubits[q] for q in g.qubits))
    text = cirq.Circuit(op).to_qasm(version="3.0", qubit_order=qubits)
    return [line for line in text.splitlines() if line.strip() and not _HEADER.match(line.strip())]
