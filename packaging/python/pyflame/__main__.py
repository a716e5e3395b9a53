"""python -m pyflame [options] script.py [args ...]: see pyflame._cli."""
import sys

from pyflame._cli import main

if __name__ == "__main__":
    sys.exit(main())
