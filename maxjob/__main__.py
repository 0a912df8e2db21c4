"""`python -m maxjob` works like the `maxjob` command."""

from maxjob.cli import main

if __name__ == "__main__":
    main()
