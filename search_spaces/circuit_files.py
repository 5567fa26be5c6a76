"""Reading a circuit the user points at: a qas circuit JSON, a run's ``best.json``, a Cirq
JSON file, an OpenQASM 2 or 3 file (``.qasm``; see :func:`qas.core.qasm.from_qasm`), or a
hand-designed ansatz spec such as ``u3cu3:4``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qas.core.circuit import CircuitDAG
from qas.core.errors import CircuitFormatError


def read_circuit(source: str | Path, space: Any = None) -> CircuitDAG:
    path = Path(source)
    if not path.exists():
        from search_spaces.ansatze import ANSATZE, build_ansatz

        if str(source).partition(":")[0] in ANSATZE:
            return build_ansatz(str(source), space)
        raise CircuitFormatError(
            f"circuit {source!s} is neither a file nor a hand-designed ansatz ({', '.join(ANSATZE.names())}, e.g. u3cu3:4)"
        )
    if path.is_dir():
        path = path / "best.json"
    if path.suffix.lower() in (".qasm", ".qasm3", ".qasm2"):
        from qas.core.qasm import read_qasm

        return read_qasm(path)
    try:
        text = path.read_text()
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise CircuitFormatError(f"cannot read circuit file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CircuitFormatError(f"{path}: malformed JSON: {exc}") from None
    except RecursionError:
        raise CircuitFormatError(f"{path}: JSON nested too deeply") from None
    if isinstance(data, dict) and "circuit" in data and isinstance(data["circuit"], dict):
        data = data["circuit"]
    if isinstance(data, dict) and "cirq_type" in data:
        import cirq

        from qas.core.cirq_io import from_cirq

        try:
            return from_cirq(cirq.read_json(json_text=text))
        except Exception as exc:  # cirq raises many types for bad files
            raise CircuitFormatError(f"{path}: not a Cirq circuit qas can read: {exc}") from None
    try:
        return CircuitDAG.from_dict(data)
    except CircuitFormatError as exc:
        raise CircuitFormatError(f"{path}: {exc}") from None
