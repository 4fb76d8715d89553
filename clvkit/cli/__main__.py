"""``python -m clvkit.cli``: the same as the ``clvkit`` command."""

import sys

from clvkit.cli.main import main

if __name__ == "__main__":  # importing the module (doctest collection) runs nothing
    sys.exit(main())
