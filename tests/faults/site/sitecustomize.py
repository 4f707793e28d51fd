"""Started processes of a fault test: install the fault hooks (tests/faults/inject.py).

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``; the tests put this folder
there only for a process whose environment sets ``AGORA_FAIL_IF`` or ``AGORA_KILL_IF``.
"""

import os

if os.environ.get("AGORA_FAIL_IF") or os.environ.get("AGORA_KILL_IF"):
    import importlib.util
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "agora_fault_inject", Path(__file__).resolve().parent.parent / "inject.py"
    )
    _inject = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_inject)
    _inject.install()
