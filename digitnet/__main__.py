"""`python -m digitnet ...` — see digitnet.cli."""

from digitnet.cli import main

raise SystemExit(main())
