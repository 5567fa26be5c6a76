"""A run's target device (``--device``, ``--qubits``): its space, its qubits and its noise.

:func:`device_setting` resolves a config's device once: the named qubits, or the best
connected patch by calibrated errors (:func:`~qas.backends.devices.pick_qubits`) for
``AUTO``. The chosen qubits are written back into the config (``qubits = "3_9,3_10,..."``), so
a resumed run uses the same ones even if the rule for picking changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qas.core.errors import QasError

AUTO = "AUTO"


@dataclass(frozen=True)
class DeviceSetting:
    """The device, the chosen qubits (DAG qubit ``i`` -> ``qubits[i]``) and why they were chosen."""

    device: Any       # qas.backends.devices.Device
    qubits: tuple[Any, ...]
    patch: Any        # PatchScore: the calibrated errors of those qubits
    picked: bool      # chosen automatically (True) or given by --qubits

    @property
    def qubit_names(self) -> str:
        from qas.backends.devices import qubit_name

        return ",".join(qubit_name(q) for q in self.qubits)

    def space(self, base: Any) -> Any:
        from qas.backends.devices import device_space

        return device_space(base, self.device, self.qubits)

    def noise(self, repetitions: int) -> Any:
        from qas.backends.devices import DeviceNoise

        return DeviceNoise(self.device, self.qubits, repetitions)

    def report_lines(self) -> list[str]:
        how = ("picked automatically: the connected patch of this size with the best score, "
               "the sum of log(1 - error) over each qubit's PhasedXZ and readout errors and the couplers "
               "of its best spanning tree (calibration snapshot shipped with cirq-google)"
               if self.picked else "given with --qubits")
        lines = [f"## Device: {self.device.name}", "",
                 f"- qubits {self.qubit_names} (circuit qubit i is the i-th), {how}; score {self.patch.score:.4f}",
                 f"- native gates: {', '.join(self.device.gates)} (U3 is a `cirq.PhasedXZGate`); "
                 "`best_cirq.json` is the circuit in these gates on these qubits and passes the device's "
                 "`validate_circuit`",
                 "- candidates train noiselessly; their search score is qsim under the device's calibrated noise "
                 "model (`cirq_google.NoiseModelFromGoogleNoiseProperties`)", ""]
        return lines + self.patch.lines() + [""]


def device_setting(config: Any, num_qubits: int) -> DeviceSetting | None:
    """The config's device and qubits (``None`` without ``device``)."""
    if not config.device:
        if config.qubits:
            raise QasError("--qubits needs a --device (willow-pink, weber or rainbow)")
        return None
    from qas.backends.devices import check_connected, get_device, parse_qubits, patch_score, pick_qubits

    if config.noise:
        raise QasError(f"--noise {config.noise} and --device {config.device} both set the noise; choose one")
    device = get_device(config.device)
    if not config.qubits or config.qubits.strip().upper() == AUTO:
        patch = pick_qubits(device, num_qubits)
        return DeviceSetting(device, patch.qubits, patch, True)
    qubits = parse_qubits(device, config.qubits)
    if len(qubits) != num_qubits:
        raise QasError(f"--qubits names {len(qubits)} qubits, the search space has {num_qubits}; "
                       f"name {num_qubits} or use --qubits AUTO")
    check_connected(device, qubits)
    return DeviceSetting(device, qubits, patch_score(device, qubits), False)


def noise_of(config: Any, setting: DeviceSetting | None) -> Any:
    """The run's noise: the device's calibrated model, a ``--noise`` channel, or ``None``."""
    from qas.backends.noise import parse_noise

    if setting is not None:
        return setting.noise(config.noise_repetitions)
    return parse_noise(config.noise, config.noise_repetitions) if config.noise else None
