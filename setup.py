"""Build hook: compile the classifier's hot path to C with mypyc (the rest: pyproject.toml).

`smtpbot explain` spends its time in Python-level logic spread over many small steps
(each phrase, marker and rule test is cheap, but there are ~100 per reply), which no one
hot spot explains. mypyc compiles these strictly typed modules to C extensions, which
run about 1.6x faster. The extensions are optional: a machine without a C compiler (or
``SMTPBOT_PURE_PYTHON=1``) gets the pure-Python package, which gives the very same answers.

An editable install (``pip install -e .``) builds them in place beside the sources; after
editing one of these modules, run it again (tests/conftest.py refuses stale builds).
"""

from __future__ import annotations

import os

from setuptools import setup

#: The modules `explain` and `classify` run for every reply (see the docstring above), and
#: model.py: its hand-written classes become C types that compiled code builds directly.
COMPILED = [
    "bot/core/classify.py",
    "bot/core/codes.py",
    "bot/core/explain.py",
    "bot/core/model.py",
    "bot/core/providers.py",
    "bot/core/reasons.py",
    "bot/core/replytext.py",
]


def extensions() -> list[object]:
    if os.environ.get("SMTPBOT_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # building without the declared build requirements
        return []
    built = mypycify(COMPILED, opt_level="3", separate=True)
    for extension in built:
        extension.optional = True  # a failed C build leaves the pure-Python modules
    return list(built)


setup(ext_modules=extensions())
