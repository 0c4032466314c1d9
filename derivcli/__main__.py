"""Allow ``python -m derivcli``."""

from derivcli.cli import main

if __name__ == "__main__":
    main()
