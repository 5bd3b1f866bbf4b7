"""`python -m router`: the same as the `router` command."""

from router.cli.entry import main

main()
