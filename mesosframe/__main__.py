"""`python -m mesosframe` is the `mesosframe` command."""
import sys

from mesosframe.cli import main

sys.exit(main())
