"""`python -m router`: the same as the `router` command."""

from router.cli import main

main()
