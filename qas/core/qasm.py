"""OpenQASM 3: a trained circuit out, runnable as it is, with its data features as inputs.

:func:`to_qasm3` writes every data feature the circuit reads as ``input float[64] x_<i>;`` and
every trained angle as a number, so Qiskit (``qiskit.qasm3.loads``) and PennyLane (through
Qiskit) run the exported classifier by binding its inputs. A feature gate with trainable
input scaling becomes ``ry(w * x_3 + b)`` with ``w``, ``b`` the trained numbers.

Each gate is written with its kind's ``qasm`` spelling (``GateKind.qasm``, OpenQASM 3's
``stdgates.inc`` names, plus a ``gate`` definition where one is needed, e.g. ``qas_rzz``); a
kind without one is decomposed through Cirq's own QASM 3 output.

``dialect="pennylane"`` writes the same circuit as PennyLane's own reader
(``qml.from_qasm3``, PennyLane 0.45) takes it: that reader refuses the ``include`` line and
mis-binds the qubits of a defined gate, so the text has no ``include`` and every defined gate
is written out in place. It is the same circuit, but no longer standard OpenQASM 3 (the
standard needs the include for ``ry``, ``cx``, ...): use it for PennyLane only. Spellings are exact up to a
global phase, which no measurement sees. The textbook ``CU3Q`` is ``cu(theta, phi, lam, 0)``
and qas's own ``CU3`` keeps its extra phase exactly (``cu(theta, phi, lam, theta / 2)``: see
:mod:`qas.core.gates`). Qubit ``i`` is ``q[i]``.
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


DIALECTS = ("standard", "pennylane")


def to_qasm3(dag: CircuitDAG, params: Sequence[float] | np.ndarray, *, dialect: str = "standard") -> str:
    """OpenQASM 3 text of ``dag`` with its trained ``params``; features are inputs ``x_<i>``
    (``dialect``: ``"standard"``, or ``"pennylane"`` for ``qml.from_qasm3``, see the module)."""
    from qas.core.cirq_io import gate_angles

    if dialect not in DIALECTS:
        raise CircuitError(f"unknown OpenQASM 3 dialect {dialect!r}; choose {' or '.join(DIALECTS)}")
    inline = dialect == "pennylane"
    if len(params) != dag.num_params:
        raise CircuitError(f"circuit has {dag.num_params} trainable parameters, got {len(params)} values")
    numeric = gate_angles(dag, params, np.zeros(dag.num_features))  # every angle a number (features at 0)
    body: list[str] = []
    definitions: dict[str, str] = {}
    for g, sl, angles in zip(dag.gates, dag.param_slices(), numeric):
        spec = g.spec
        qubits = [f"q[{q}]" for q in g.qubits]
        if g.role == "feature":
            if spec.qasm is None:
                raise CircuitError(f"a feature gate of kind {g.kind} has no OpenQASM 3 spelling to carry its input")
            if g.weighted:
                w, b = (float(v) for v in np.asarray(params)[sl])
                args = [f"{_num(w)} * x_{g.feature} + {_num(b)}"]
            else:
                args = [f"x_{g.feature}"]
        else:
            args = [_num(a) for a in angles]
        if spec.qasm is None:
            text = _through_cirq(g, angles)
        elif spec.qasm_definition and inline:
            text = _inlined(spec.qasm_definition, args, qubits)
        else:
            text = [f"{spec.qasm.format(*args)} {', '.join(qubits)};"]
            if spec.qasm_definition:
                definitions.setdefault(g.kind, spec.qasm_definition)
        body += text
    lines = ["// Trained circuit found by qas: features are inputs x_<i>; trained angles are numbers.",
             "OPENQASM 3.0;"]
    if inline:
        lines[0] += " PennyLane's dialect (no include, defined gates written out): qml.from_qasm3 reads it."
    else:
        lines.append('include "stdgates.inc";')
    lines += [f"input float[64] x_{i};" for i in range(dag.num_features)]
    lines += list(definitions.values())
    lines += [f"qubit[{dag.num_qubits}] q;"] + body
    return "\n".join(lines) + "\n"


_DEFINITION = re.compile(r"^gate\s+\w+\s*(?:\(([^)]*)\))?\s*([^{]*)\{(.*)\}\s*$", re.S)


def _inlined(definition: str, args: Sequence[str], qubits: Sequence[str]) -> list[str]:
    """The body of a ``gate`` definition with its parameters and qubit arguments filled in."""
    m = _DEFINITION.match(definition)
    assert m is not None, definition
    names = [a.strip() for a in (m[1] or "").split(",") if a.strip()]
    wires = [a.strip() for a in m[2].split(",") if a.strip()]
    fill = {**{n: f"({a})" for n, a in zip(names, args)}, **dict(zip(wires, qubits))}
    body = re.sub(r"\b[A-Za-z_]\w*\b", lambda t: fill.get(t[0], t[0]), m[3])
    return [f"{s.strip()};" for s in body.split(";") if s.strip()]


def _through_cirq(g: Any, angles: Sequence[Any]) -> list[str]:
    """A gate without a QASM spelling, as Cirq's QASM 3 output decomposes it (numeric angles)."""
    import cirq

    qubits = cirq.LineQubit.range(max(g.qubits) + 1)
    op = g.spec.cirq_gate(tuple(float(a) for a in angles)).on(*(qubits[q] for q in g.qubits))
    text = cirq.Circuit(op).to_qasm(version="3.0", qubit_order=qubits)
    return [line for line in text.splitlines() if line.strip() and not _HEADER.match(line.strip())]


# -- in: OpenQASM 2 and 3 -> CircuitDAG ---------------------------------------------------------
class QasmError(CircuitError):
    """OpenQASM that cannot become a circuit of qas: the message names the line and the fix."""


#: OpenQASM names -> (qas kind, angle map): the map turns the QASM arguments into the kind's angles
_DIRECT: dict[str, tuple[str, Any]] = {
    "x": ("X", None), "y": ("Y", None), "z": ("Z", None), "h": ("H", None), "s": ("S", None), "t": ("T", None),
    "rx": ("RX", None), "ry": ("RY", None), "rz": ("RZ", None),
    "u3": ("U3", None), "u": ("U3", None), "U": ("U3", None),
    "u2": ("U3", lambda a: (_PI / 2, a[0], a[1])),
    "cx": ("CNOT", None), "CX": ("CNOT", None), "cnot": ("CNOT", None), "cz": ("CZ", None), "swap": ("SWAP", None),
    "crx": ("CRX", None), "cry": ("CRY", None), "crz": ("CRZ", None), "rzz": ("RZZ", None),
}
#: one-qubit phases, exact up to a global phase: name -> RZ angle(s)
_PHASES: dict[str, Any] = {"sdg": lambda a: -_PI / 2, "tdg": lambda a: -_PI / 4, "p": lambda a: a[0],
                           "u1": lambda a: a[0], "phase": lambda a: a[0]}
_IGNORED = ("barrier", "measure", "id", "i", "gphase")
_PI: Any = None  # sympy.pi, set on first use
_FEATURE_NAME = re.compile(r"^x_?(\d+)$")
_TOKEN = re.compile(r"\s*(?:(\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)|([A-Za-z_π][A-Za-z_0-9]*)|(\*\*|[-+*/^(),]))")
_FUNCS = ("sin", "cos", "tan", "exp", "sqrt", "ln", "log", "arcsin", "arccos", "arctan")


def from_qasm(text: str, *, where: str = "the QASM") -> CircuitDAG:
    """A ``CircuitDAG`` from OpenQASM 2 or 3 text (see :func:`from_qasm_with_inputs`)."""
    return from_qasm_with_inputs(text, where=where)[0]


def from_qasm_with_inputs(text: str, *, where: str = "the QASM") -> tuple[CircuitDAG, list[Any]]:
    """A ``CircuitDAG`` from OpenQASM 2 or 3 text.

    - Gates of qas's alphabet map onto their kinds; ``cu3`` (the textbook controlled-U3 of
      QASM 2 and Qiskit) becomes ``CU3Q``, exactly, and QASM 3's ``cu`` a ``CU3Q`` plus, for a
      phase ``gamma`` other than 0, an ``RZ(gamma)`` on the control (equal up to a global
      phase); ``cp``/``cu1`` become a ``CRZ`` plus an ``RZ``;
      phases (``sdg``, ``tdg``, ``p``, ``u1``) become ``RZ``; ``sx``, ``cy``, ``ch``, ``ccx`` and
      ``cswap`` are compiled by Cirq to CZ and one-qubit gates. Another gate is an error naming
      it and its line. ``barrier`` and ``measure`` are skipped.
    - Angles: a number is a fixed angle; an ``input`` named ``x_<i>`` (or ``x<i>``) is data
      feature ``i``, and ``w * x_<i> + b`` with inputs ``w``, ``b`` a weighted feature; any
      other ``input`` is a trainable parameter (each gate gets its own, in qas's order).
    - ``gate`` definitions are expanded; several registers are numbered in declaration order.

    Also returns, for each trainable parameter of the circuit (in its order), what it stands
    for: a number, or an expression in the inputs (a sympy expression whose symbols are named
    after them; ``None`` for the ``w``, ``b`` of a feature scaled by numbers). With
    :func:`bind_inputs` the circuit then computes what the QASM does. A gate whose angles mix
    numbers and inputs is trainable in all of them, and an input used by several gates is a
    parameter of each: the imported circuit's family contains the QASM's.
    """
    global _PI
    import sympy

    from qas.core.cirq_io import _make_gate  # the one rule for roles from angles

    _PI = sympy.pi
    body = _strip_comments(text)
    registers: dict[str, tuple[int, int]] = {}
    symbols: dict[str, Any] = {}
    definitions: dict[str, tuple[list[str], list[str], list[tuple[int, str]]]] = {}
    calls: list[tuple[int, str, list[Any], list[int]]] = []
    n = 0
    for lineno, stmt in _statements(body):
        head = stmt.split(None, 1)[0] if stmt.split() else ""
        if head in ("OPENQASM", "include"):
            continue
        if head == "gate":
            name, params, qargs, inner = _gate_definition(stmt, lineno, where)
            definitions[name] = (params, qargs, inner)
            continue
        m = re.match(r"^(?:qreg\s+(\w+)\s*\[\s*(\d+)\s*\]|qubit\s*(?:\[\s*(\d+)\s*\])?\s+(\w+))$", stmt)
        if m:
            name, size = (m.group(1), int(m.group(2))) if m.group(1) else (m.group(4), int(m.group(3) or 1))
            registers[name] = (n, size)
            n += size
            continue
        if re.match(r"^(creg|bit)\b", stmt) or re.match(r"^\w+(\s*\[[^\]]*\])?\s*=\s*measure\b", stmt):
            continue
        m = re.match(r"^input\s+(?:float|angle|int|uint)(?:\s*\[\s*\d+\s*\])?\s+(\w+)$", stmt)
        if m:
            symbols[m.group(1)] = _symbol(m.group(1))
            continue
        if head in ("reset", "if", "for", "while", "def", "let", "const", "output") or "@" in stmt:
            raise QasmError(f"{where} line {lineno}: {stmt.split('(')[0].split()[0]!r} is beyond what qas reads "
                            "(gates, registers, inputs and gate definitions); write the circuit without it")
        calls += _expand(_call(stmt, lineno, where), definitions, registers, symbols, where)
    gates, names = [], []
    for lineno, name, args, qubits in calls:
        for kind, qs, angles in _to_alphabet(name, args, qubits, lineno, where, n):
            if kind == "RZ" and not getattr(sympy.sympify(angles[0]), "free_symbols", None) and float(angles[0]) == 0:
                continue  # e.g. the phase gamma = 0 of a QASM 3 cu
            angles = tuple(_for_make_gate(a) for a in angles)
            try:
                gate = _make_gate(kind, qs, angles)
            except CircuitError as exc:
                raise QasmError(f"{where} line {lineno}: {exc}") from None
            gates.append(gate)
            names.append(_input_names(gate, angles))
    if n == 0:
        raise QasmError(f"{where} declares no qubits (qreg q[n]; or qubit[n] q;)")
    dag = CircuitDAG(n, gates)
    # identical gates keep their relative order in the canonical order (they share wires)
    pending: dict[Any, list[int]] = {}
    for i, g in enumerate(gates):
        pending.setdefault(g, []).append(i)
    order = [pending[g].pop(0) for g in dag.gates]
    return dag, [name for i in order for name in names[i]]


def _input_names(gate: Any, angles: tuple[Any, ...]) -> list[Any]:
    """What each of ``gate``'s trainable parameters stands for (see from_qasm_with_inputs)."""
    import sympy

    def name(a: Any) -> Any:
        a = sympy.sympify(a)
        if any(s.name.startswith("fresh_") for s in a.free_symbols):
            return None
        return a.subs({s: sympy.Symbol(s.name[2:]) for s in a.free_symbols if s.name.startswith("p_")})

    if gate.role == "trainable":
        return [name(a) for a in angles]
    if gate.role == "feature" and gate.weighted:
        angle = angles[0]
        x = next(s for s in angle.free_symbols if _FEATURE_NAME.match(s.name))
        w, b = angle.coeff(x), angle.subs(x, 0)
        return [name(w), name(b)]
    return []


def bind_inputs(meaning: list[Any], values: dict[str, float]) -> np.ndarray:
    """The circuit's parameters for these input values (``meaning`` from from_qasm_with_inputs)."""
    out = []
    for k, m in enumerate(meaning):
        if m is None:
            raise QasmError(f"parameter {k} is a trained number of the file (a scaled feature's w or b), not an input")
        missing = sorted(s.name for s in m.free_symbols if s.name not in values)
        if missing:
            raise QasmError(f"no value for input(s) {missing}")
        out.append(float(m.subs({s: values[s.name] for s in m.free_symbols})))
    return np.asarray(out)


def read_qasm(path: Any) -> CircuitDAG:
    from pathlib import Path

    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise QasmError(f"cannot read {path}: {exc}") from None
    return from_qasm(text, where=str(path))


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def _statements(text: str) -> list[tuple[int, str]]:
    """``;``-terminated statements and ``gate ... { ... }`` blocks, with their first line number."""
    out, buf, depth, start = [], "", 0, 1
    line = 1
    for ch in text:
        if not buf.strip() and ch not in " \t\n":
            start = line
        if ch == "\n":
            line += 1
        buf += ch
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and buf.strip().startswith("gate"):
                out.append((start, " ".join(buf.split())))
                buf = ""
        elif ch == ";" and depth == 0:
            stmt = " ".join(buf.strip()[:-1].split())
            if stmt:
                out.append((start, stmt))
            buf = ""
    if buf.strip():
        out.append((start, " ".join(buf.split())))
    return out


def _gate_definition(stmt: str, lineno: int, where: str) -> tuple[str, list[str], list[str], list[tuple[int, str]]]:
    m = re.match(r"^gate\s+(\w+)\s*(?:\(([^)]*)\))?\s*([\w\s,]+?)\s*\{(.*)\}$", stmt)
    if not m:
        raise QasmError(f"{where} line {lineno}: cannot read the gate definition {stmt[:60]!r}")
    params = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
    qargs = [q.strip() for q in m.group(3).split(",") if q.strip()]
    inner = [(lineno, s.strip()) for s in m.group(4).split(";") if s.strip()]
    return m.group(1), params, qargs, inner


def _call(stmt: str, lineno: int, where: str) -> tuple[int, str, str, list[str]]:
    m = re.match(r"^(\w+)\s*(?:\((.*)\))?\s+(.+)$", stmt)
    if not m:
        raise QasmError(f"{where} line {lineno}: cannot read {stmt[:60]!r} as a gate call like 'rx(0.5) q[0];'")
    args = _split_args(m.group(2) or "")
    qargs = [q.strip() for q in m.group(3).split(",")]
    return lineno, m.group(1), args, qargs


def _split_args(text: str) -> list[str]:
    out, depth, buf = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(buf.strip())
            buf = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        buf += ch
    return out + ([buf.strip()] if buf.strip() else [])


def _expand(call: tuple[int, str, Any, list[str]], definitions: dict, registers: dict, symbols: dict,
            where: str, scope: dict[str, Any] | None = None, qscope: dict[str, int] | None = None,
            depth: int = 0) -> list[tuple[int, str, list[Any], list[int]]]:
    lineno, name, args, qargs = call
    values = [a if not isinstance(a, str) else _expr(a, {**symbols, **(scope or {})}, lineno, where) for a in args]
    if qscope is not None:
        qubit_lists = [[qscope[q]] if q in qscope else _bad_qubit(q, lineno, where) for q in qargs]
    else:
        qubit_lists = [_qubits(q, registers, lineno, where) for q in qargs]
    width = max(len(qs) for qs in qubit_lists)
    if any(len(qs) not in (1, width) for qs in qubit_lists):
        raise QasmError(f"{where} line {lineno}: registers of different sizes in one call")
    out = []
    for k in range(width):  # a call on whole registers applies to each index in turn
        qubits = [qs[0] if len(qs) == 1 else qs[k] for qs in qubit_lists]
        if name in definitions and depth < 50:
            params, formal, inner = definitions[name]
            if len(params) != len(values) or len(formal) != len(qubits):
                raise QasmError(f"{where} line {lineno}: gate {name} takes {len(params)} angles and {len(formal)} qubits")
            local = dict(zip(params, values))
            for sub_line, sub in inner:
                if sub.split()[0] in _IGNORED:
                    continue
                sub_call = _call(sub, sub_line, where)
                out += _expand((lineno, sub_call[1], sub_call[2], sub_call[3]), definitions, registers, symbols, where,
                               local, dict(zip(formal, qubits)), depth + 1)
        elif name in _IGNORED:
            continue
        else:
            out.append((lineno, name, values, qubits))
    return out


def _bad_qubit(q: str, lineno: int, where: str) -> list[int]:
    raise QasmError(f"{where} line {lineno}: {q!r} is not a qubit argument of the gate being defined")


def _qubits(arg: str, registers: dict[str, tuple[int, int]], lineno: int, where: str) -> list[int]:
    m = re.match(r"^(\w+)\s*(?:\[\s*(\d+)\s*\])?$", arg)
    if not m or m.group(1) not in registers:
        raise QasmError(f"{where} line {lineno}: {arg!r} is not a declared qubit (qreg q[n]; or qubit[n] q;)")
    start, size = registers[m.group(1)]
    if m.group(2) is None:
        return list(range(start, start + size))
    i = int(m.group(2))
    if i >= size:
        raise QasmError(f"{where} line {lineno}: {arg} is out of range: {m.group(1)} has {size} qubits")
    return [start + i]


def _symbol(name: str) -> Any:
    """An input's symbol: ``x_<i>``/``x<i>`` a feature (named ``x_<i>``), any other a parameter."""
    import sympy

    m = _FEATURE_NAME.match(name)
    return sympy.Symbol(f"x_{int(m.group(1))}" if m else f"p_{name}")


def _expr(text: str, symbols: dict[str, Any], lineno: int, where: str) -> Any:
    """An angle expression: numbers, pi, inputs, + - * / ** ^ and a few functions; nothing else."""
    import sympy

    pos, tokens = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QasmError(f"{where} line {lineno}: cannot read the angle {text!r}")
        tok = m.group(0).strip()
        if m.group(2):
            if tok in ("pi", "π", "PI"):
                tok = "pi"
            elif tok in ("tau", "τ"):
                tok = "(2*pi)"
            elif tok in _FUNCS:
                pass
            elif tok in symbols:
                tok = f"S['{tok}']"
            else:
                raise QasmError(f"{where} line {lineno}: {tok!r} in angle {text!r} is neither a number, pi nor a "
                                f"declared input (write 'input float[64] {tok};')")
        tokens.append("**" if tok == "^" else tok)
        pos = m.end()
    funcs = {f: getattr(sympy, {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}.get(f, f)) for f in _FUNCS}
    try:
        return sympy.sympify(eval(" ".join(tokens), {"__builtins__": {}}, {"S": symbols, "pi": sympy.pi, **funcs}))  # noqa: S307 - tokens checked above
    except Exception as exc:  # noqa: BLE001 - a malformed expression
        raise QasmError(f"{where} line {lineno}: cannot read the angle {text!r} ({exc})") from None


def _to_alphabet(name: str, args: list[Any], qubits: list[int], lineno: int, where: str,
                 n: int) -> list[tuple[str, tuple[int, ...], tuple[Any, ...]]]:
    qs = tuple(qubits)
    if name in _DIRECT:
        kind, amap = _DIRECT[name]
        from qas.core.gates import GATES

        angles = tuple(amap(args) if amap else args)
        if len(angles) != GATES.get(kind).num_angles or len(qs) != GATES.get(kind).num_qubits:
            raise QasmError(f"{where} line {lineno}: {name} takes {GATES.get(kind).num_angles} angles and "
                            f"{GATES.get(kind).num_qubits} qubits, got {len(args)} and {len(qs)}")
        return [(kind, qs, angles)]
    if name in _PHASES:
        return [("RZ", qs, (_PHASES[name](args),))]
    if name == "cu3" or name == "cu":  # the textbook controlled-U3 (CU3Q); QASM 3's phase gamma is a P on the control
        if len(args) != (4 if name == "cu" else 3) or len(qs) != 2:
            raise QasmError(f"{where} line {lineno}: {name} takes {4 if name == 'cu' else 3} angles and 2 qubits, "
                            f"got {len(args)} and {len(qs)}")
        gamma = args[3] if name == "cu" else 0
        return [("CU3Q", qs, tuple(args[:3])), ("RZ", (qs[0],), (gamma,))]
    if name in ("cp", "cu1", "cphase"):
        return [("CRZ", qs, (args[0],)), ("RZ", (qs[0],), (args[0] / 2,))]
    compiled = _compiled(name, args, qs, lineno, where)
    if compiled is not None:
        return compiled
    raise QasmError(f"{where} line {lineno}: gate {name!r} has no counterpart in qas's gate alphabet; define it with "
                    "a 'gate' block of standard gates, or leave it out")


def _compiled(name: str, args: list[Any], qs: tuple[int, ...], lineno: int, where: str) -> Any:
    """Standard gates outside the alphabet, decomposed by Cirq into it (numeric;
    :func:`qas.core.cirq_io.in_alphabet`)."""
    import cirq

    from qas.core.cirq_io import in_alphabet

    table = {"sx": lambda: cirq.XPowGate(exponent=0.5), "sxdg": lambda: cirq.XPowGate(exponent=-0.5),
             "cy": lambda: cirq.ControlledGate(cirq.Y), "ch": lambda: cirq.ControlledGate(cirq.H),
             "ccx": lambda: cirq.CCX, "cswap": lambda: cirq.CSWAP}
    if name not in table:
        return None
    line = cirq.LineQubit.range(max(qs) + 1)
    return [(kind, tuple(q.x for q in op.qubits), tuple(float(a) for a in angles))
            for op, (kind, angles) in in_alphabet(table[name]().on(*(line[q] for q in qs)))]


_FRESH = iter(range(10**9))


def _for_make_gate(angle: Any) -> Any:
    """A number as a float; an expression in inputs as the symbols qas reads roles from. A
    feature enters as ``x_i`` or ``w * x_i + b``: with numbers for ``w``, ``b`` (an exported
    trained circuit) they become the trainable ``w``, ``b`` of a weighted feature gate."""
    import sympy

    angle = sympy.sympify(angle)
    if not angle.free_symbols:
        return float(angle)
    feats = [s for s in angle.free_symbols if _FEATURE_NAME.match(s.name)]
    if len(feats) == 1 and angle != feats[0] and not (angle.free_symbols - set(feats)):
        x = feats[0]
        poly = sympy.Poly(angle, x) if angle.is_polynomial(x) else None
        if poly is None or poly.degree() != 1:
            raise CircuitError(f"angle {angle}: a feature enters as x_i or w * x_i + b")
        w, b = (sympy.Symbol(f"fresh_w{next(_FRESH)}"), sympy.Symbol(f"fresh_b{next(_FRESH)}"))
        return w * x + b
    return angle
