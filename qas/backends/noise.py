"""Noise models for noise-aware scoring: a short spec such as ``depolarizing:p=0.01``, or the
user's own model in a file (``cirq.to_json`` of a ``cirq.NoiseModel``, or of one channel);
:func:`parse_noise` reads either.

Scoring with noise runs qsim's quantum trajectories (``qsimcirq`` with a Cirq noise model and
``ev_noisy_repetitions`` trajectories per input); training stays noiseless.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from qas.core.errors import QasError
from qas.core.registry import Registry

CHANNELS: Registry[tuple[str, Callable[[float], Any]]] = Registry("noise channel")


def _add(name: str, param: str, make: str) -> None:
    def factory(value: float) -> Any:
        import cirq

        return getattr(cirq, make)(value)

    CHANNELS.add(name, (param, factory))


_add("depolarizing", "p", "depolarize")
_add("bit-flip", "p", "bit_flip")
_add("phase-flip", "p", "phase_flip")
_add("amplitude-damping", "gamma", "amplitude_damp")
_add("phase-damping", "gamma", "phase_damp")


class _OnLineQubits:
    """Noise on ``LineQubit(0..n-1)`` acting on :func:`~qas.core.cirq_io.to_cirq`'s circuit."""

    def qubits(self, n: int) -> list[Any]:
        """The Cirq qubits a circuit runs on under this noise: ``LineQubit(0..n-1)``."""
        import cirq

        return cirq.LineQubit.range(n)

    def circuit(self, dag: Any, params: Any) -> Any:
        """The circuit the noise acts on: :func:`~qas.core.cirq_io.to_cirq`, symbolic (the
        simulator binds parameters and features per input). A device's noise
        (:class:`~qas.backends.devices.DeviceNoise`) writes native gates on its qubits instead."""
        from qas.core.cirq_io import to_cirq

        return to_cirq(dag)


def parse_noise(text: str, repetitions: int = 100) -> "NoiseSpec | NoiseFile":
    """``--noise``: a ``.json`` file (:class:`NoiseFile`) or a channel spec (:class:`NoiseSpec`)."""
    if text.lower().endswith(".json"):
        return NoiseFile.load(text, repetitions)
    return NoiseSpec.parse(text, repetitions)


@dataclass(frozen=True)
class NoiseFile(_OnLineQubits):
    """The user's noise model from a Cirq JSON file: a ``cirq.NoiseModel`` (its qubits are
    ``LineQubit(0..n-1)``, circuit qubit i being ``LineQubit(i)``), or a single channel such as
    ``cirq.amplitude_damp(0.02)``, applied after every moment on every qubit."""

    path: str
    repetitions: int = 100

    @classmethod
    def load(cls, path: str, repetitions: int = 100) -> "NoiseFile":
        noise = cls(str(path), repetitions)
        noise.model()  # read it now: a bad file stops the run before anything is written
        if repetitions < 1:
            raise QasError("noise repetitions must be >= 1")
        return noise

    def model(self) -> Any:
        return _noise_model_file(self.path)

    def __str__(self) -> str:
        return f"file {self.path}"


@lru_cache(maxsize=8)
def _noise_model_file(path: str) -> Any:
    """The model in a :class:`NoiseFile`, read once per process (scoring asks for it per candidate)."""
    import cirq

    try:
        obj = cirq.read_json(path)
    except FileNotFoundError:
        raise QasError(f"noise file {path} does not exist") from None
    except Exception as exc:  # cirq raises many types for a file it cannot read
        raise QasError(f"noise file {path}: not Cirq JSON ({type(exc).__name__}: {exc}); write it with "
                       "cirq.to_json(noise_model, path)") from None
    if isinstance(obj, cirq.NoiseModel):
        return obj
    if isinstance(obj, cirq.Gate) and cirq.num_qubits(obj) == 1 and cirq.has_kraus(obj):
        return cirq.ConstantQubitNoiseModel(obj)
    raise QasError(f"noise file {path} holds a {type(obj).__name__}, not a cirq.NoiseModel or a "
                   "one-qubit channel")


@dataclass(frozen=True)
class NoiseSpec(_OnLineQubits):
    """A single-qubit channel applied after every moment, on every qubit."""

    channel: str
    strength: float
    repetitions: int = 100

    @classmethod
    def parse(cls, text: str, repetitions: int = 100) -> "NoiseSpec":
        name, _, args = text.partition(":")
        param, _ = CHANNELS.get(name)
        key, _, value = args.partition("=")
        if key.strip() != param or not value:
            raise QasError(f"noise {text!r}: write it as {CHANNELS.canonical(name)}:{param}=<value>, e.g. depolarizing:p=0.01")
        try:
            strength = float(value)
        except ValueError:
            raise QasError(f"noise {text!r}: {param} must be a number") from None
        if not 0.0 <= strength <= 1.0:
            raise QasError(f"noise {text!r}: {param} must lie in [0, 1]")
        if repetitions < 1:
            raise QasError("noise repetitions must be >= 1")
        return cls(CHANNELS.canonical(name), strength, repetitions)

    def __str__(self) -> str:
        return f"{self.channel}:{CHANNELS.get(self.channel)[0]}={self.strength:g}"

    def model(self) -> Any:
        import cirq

        return cirq.ConstantQubitNoiseModel(CHANNELS.get(self.channel)[1](self.strength))

