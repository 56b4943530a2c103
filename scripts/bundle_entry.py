"""The frozen program's entry point (build.spec): the same `main` as the installed `in2-studio` command."""

import multiprocessing
import sys

from in2_studio.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless a child process is started the "spawn" way
    sys.exit(main())
