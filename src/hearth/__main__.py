"""`python -m hearth` runs the command-line interface."""

from hearth.cli import main

if __name__ == "__main__":
    main()
