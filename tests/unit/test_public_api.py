"""The curated `mesosframe` namespace: every name resolves, nothing extra leaks, and importing it is cheap."""
import subprocess
import sys

import mesosframe


def test_every_public_name_resolves():
    for name in mesosframe.__all__:
        assert getattr(mesosframe, name) is not None, name


def test_all_is_sorted_and_unique():
    assert mesosframe.__all__ == sorted(set(mesosframe.__all__))


def test_unknown_names_raise_attribute_error():
    try:
        mesosframe.NoSuchThing
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_mesosframe_does_not_import_pymesos_or_kazoo():
    code = "import sys, mesosframe; print('pymesos' in sys.modules, 'kazoo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
