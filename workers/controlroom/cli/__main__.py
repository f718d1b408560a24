"""`python -m controlroom.cli`: the same program as the `controlroom` console script."""

from controlroom.cli import main

main()
