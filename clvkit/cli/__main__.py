"""``python -m clvkit.cli``: the same as the ``clvkit`` command."""

import sys

from clvkit.cli.main import main

sys.exit(main())
