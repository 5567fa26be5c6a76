import pytest

from qas.core.errors import UnknownNameError
from qas.core.registry import Registry


def test_names_normalise_case_dash_and_underscore():
    reg: Registry[int] = Registry("thing")
    reg.add("Fashion-MNIST", 1, aliases=("fmnist",))
    assert reg.get("fashion_mnist") == 1
    assert reg.get("FMNIST") == 1
    assert "FASHION_mnist" in reg
    assert reg.names() == ["fashion-mnist"]


def test_collision_raises():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("A", 2)


def test_unknown_name_lists_choices():
    reg: Registry[int] = Registry("agent")
    reg.add("random", 1)
    reg.add("bo", 2)
    with pytest.raises(UnknownNameError, match=r"unknown agent 'rl'; choose one of: bo, random"):
        reg.get("rl")


def test_a_name_that_is_not_a_string_is_a_clear_error():
    """Found by the fuzz test: ``gates = [[0, 1]]`` in a space file reached ``str.strip``."""
    from qas import GATES
    from qas.core.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="must be a string"):
        GATES.get([0, 1])
