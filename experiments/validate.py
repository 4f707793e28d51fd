"""Compare Agora with published organizational results (see ``sim.validation.cli``).

    python experiments/validate.py --quick            # small fixed-seed versions
    python experiments/validate.py                    # full, into outputs/validation/
    python experiments/validate.py --docs             # regenerate docs/validation.md
"""

import sys

from sim.validation.cli import main

if __name__ == "__main__":
    sys.exit(main())
