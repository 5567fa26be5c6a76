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


def test_remove_unregisters_a_name_and_its_aliases():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1, aliases=("alpha",))
    reg.add("b", 2)
    assert reg.remove("ALPHA") == 1
    assert "a" not in reg and "alpha" not in reg and reg.names() == ["b"]
    reg.add("a", 3, aliases=("alpha",))  # free again
    with pytest.raises(UnknownNameError):
        reg.remove("c")


def test_registered_lasts_for_the_with_block():
    reg: Registry[int] = Registry("thing")
    with reg.registered("tmp", 5) as obj:
        assert obj == 5 and reg.get("tmp") == 5
    assert "tmp" not in reg
    with pytest.raises(RuntimeError), reg.registered("tmp", 6):
        raise RuntimeError("the entry goes even when the block fails")
    assert "tmp" not in reg


def test_check_refuses_before_anything_is_added():
    def positive(name: str, obj: int) -> None:
        if obj <= 0:
            raise ValueError(f"{name}: must be positive")

    reg: Registry[int] = Registry("thing", check=positive)
    with pytest.raises(ValueError, match="neg: must be positive"):
        reg.add("neg", -1, aliases=("n",))
    assert len(reg) == 0 and "n" not in reg
