"""`python -m router`: the same as the `router` command."""

from router.cli.app import main

main()
